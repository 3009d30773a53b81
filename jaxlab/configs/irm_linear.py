"""Linear SEM: ERM vs IRM vs partial IRM (partitioned, conditioned).

Launch: ``jaxlab run irm_linear --workdir runs/irm_linear`` (under a minute
on a 2-core CPU); ``--config=irm_linear:tiny`` runs in seconds.
"""
import ml_collections


def get_config(arg=None):
  c = ml_collections.ConfigDict()
  c.dim = 5                        # features per block (z1, z2)
  c.sigmas = (0.2, 1.0, 2.0, 5.0)  # noise scale per training environment
  c.causal_b = (1, 0, 1, 0)        # b_e: is z2 causal in the environment?
  c.samples_per_env = 1000
  c.scramble = False
  c.test_sigma = 1.5
  c.test_b = 1
  c.partition = "b1"               # P-IRM partition (meta-information b_e)
  c.seeds = 5
  c.steps = 5000
  c.lr = 1e-2
  c.irm_lambda = 1e3
  c.anneal_step = 500
  if arg == "tiny":
    c.seeds = 2
    c.samples_per_env = 200
    c.steps = 600
    c.anneal_step = 100
  elif arg not in (None, "", "default"):
    raise ValueError(f"unknown irm_linear config {arg!r}; allowed: default, tiny")
  return c
