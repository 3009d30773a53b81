"""Fairness vs risk under partial invariance: sweep lambda and the partition scheme.

Launch: ``jaxlab run pirm_fairness --workdir runs/pirm_fairness`` (several
minutes on a 2-core CPU); ``--config=pirm_fairness:tiny`` runs in seconds.
"""
from jaxlab.configs._colored_digits import IRM_LAMBDA, colored_digits_config


def get_config(arg=None):
  c = colored_digits_config()
  c.test_flips = (0.5,)
  c.schemes = ("all", "meta", "colour")
  c.lambdas = (0.0, 1.0, 100.0, 10000.0, IRM_LAMBDA)
  c.seeds = 2
  c.hidden = 128
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
