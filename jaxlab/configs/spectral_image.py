"""Spectral image: fit a synthetic image from pixel coordinates, PSNR over
training, ReLU MLP vs activated Π-Nets of matched parameter count.

    jaxlab run spectral_image --workdir runs/spectral_image
    jaxlab run spectral_image --workdir runs/spectral_image_tiny --config=spectral_image:tiny
"""
import ml_collections


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.image_size = 48
  c.models = ("mlp", "ccp", "ncp")
  c.mlp_depth = 3
  c.ccp_degree = 6
  c.ncp_degree = 3
  c.activation = "relu"          # Π-Nets: relu inside the branches (see models/pinet.py)
  c.param_budget = 20000
  c.learning_rate = 3e-3         # Adam, full batch
  c.num_seeds = 2
  c.train = ml_collections.ConfigDict({
      "num_steps": 2000, "num_devices": 0, "log_every": 50,
      "eval_every": 100, "checkpoint_every": 500,
  })
  if arg in (None, "", "default", "cpu"):
    return c
  if arg == "tiny":
    c.image_size = 16
    c.param_budget = 1500
    c.num_seeds = 1
    c.train.num_steps = 60
    c.train.log_every = 10
    c.train.eval_every = 20
    c.train.checkpoint_every = 30
    return c
  raise ValueError(f"unknown spectral_image config variant {arg!r}; known: default, tiny")
