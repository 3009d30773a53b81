"""Spectral training: per-degree learning speed of a ReLU MLP vs Π-Nets.

    jaxlab run spectral_training --workdir runs/spectral_training
    jaxlab run spectral_training --workdir runs/spectral_training_tiny --config=spectral_training:tiny
"""
import ml_collections


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.dim = 3                        # points on S^2
  c.num_train = 2048
  c.degrees = (1, 2, 3, 4, 5, 6)   # target: sum_k P_k(<w_k, z>), each of unit RMS
  c.models = ("mlp", "ccp", "ncp")
  c.pinet_degree = 6               # >= the highest target degree (finite rank)
  c.mlp_b_std = 1.0                # hidden bias: without it odd k >= 3 are unlearnable
  c.param_budget = 10000           # every model gets the widest width within it
  c.num_steps = 5000
  c.log_every = 25
  c.lr_scale = 1.0                 # step = lr_scale / lambda_max(Theta / n)
  c.fit_threshold = 0.1            # fitted: residual of the degree <= 10 % of its norm
  c.num_seeds = 2
  c.data_seed = 0
  if arg in (None, "", "default", "cpu"):
    return c
  if arg == "tiny":
    c.num_train = 512
    c.degrees = (1, 2, 4)
    c.pinet_degree = 4
    c.param_budget = 1000
    c.num_steps = 300
    c.log_every = 20
    c.num_seeds = 1
    return c
  raise ValueError(f"unknown spectral_training config variant {arg!r}; known: default, tiny")
