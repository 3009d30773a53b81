"""Fairness vs risk under partial invariance: sweep lambda and the partition scheme.

Launch: ``jaxlab run pirm_fairness --workdir runs/pirm_fairness`` (several
minutes on a 2-core CPU); ``--config=pirm_fairness:tiny`` runs in seconds.
"""
import ml_collections


def get_config(arg=None):
  c = ml_collections.ConfigDict()
  c.pool = "sklearn"
  c.pool_limit = 0
  c.test_fraction = 0.3
  c.label_noise = 0.25
  c.train_flips = (0.1, 0.2)
  c.test_flips = (0.5,)
  c.schemes = ("all", "meta", "colour")
  c.lambdas = (0.0, 1.0, 100.0, 10000.0, 91257.18613115903)
  c.seeds = 2
  c.hidden = 128
  c.steps = 501
  c.lr = 4.898536566546834e-4
  c.l2 = 0.00110794568
  c.anneal_step = 190
  if arg == "tiny":
    c.schemes = ("all", "meta")
    c.lambdas = (0.0, 10.0)
    c.seeds = 1
    c.hidden = 16
    c.steps = 40
    c.anneal_step = 10
  elif arg not in (None, "", "default"):
    raise ValueError(f"unknown pirm_fairness config {arg!r}; allowed: default, tiny")
  return c
