"""Hierarchical Colored Digits: IRM over all environments vs P-IRM per partition.

Launch: ``jaxlab run pirm_partitions --workdir runs/pirm_partitions`` (a few
minutes on a 2-core CPU); ``--config=pirm_partitions:tiny`` runs in seconds.
"""
from jaxlab.configs._colored_digits import IRM_LAMBDA, colored_digits_config


def get_config(arg=None):
  c = colored_digits_config()
  c.test_flips = (0.5, 0.9)    # the first is the headline (colour uninformative)
  c.methods = ("erm", "irm", "pirm_meta", "pirm_cluster", "pirm_colour")
  c.seeds = 3
  c.hidden = 256
  c.irm_lambda = IRM_LAMBDA
  if arg == "tiny":
    c.methods = ("erm", "irm", "pirm_meta", "pirm_cluster")
    c.seeds = 1
    c.hidden = 16
    c.steps = 40
    c.anneal_step = 10
    c.irm_lambda = 10.0
  elif arg not in (None, "", "default"):
    raise ValueError(f"unknown pirm_partitions config {arg!r}; allowed: default, tiny")
  return c
