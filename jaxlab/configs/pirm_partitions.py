"""Hierarchical Colored Digits: IRM over all environments vs P-IRM per partition.

Launch: ``jaxlab run pirm_partitions --workdir runs/pirm_partitions`` (a few
minutes on a 2-core CPU); ``--config=pirm_partitions:tiny`` runs in seconds.
"""
import ml_collections


def get_config(arg=None):
  c = ml_collections.ConfigDict()
  c.pool = "sklearn"
  c.pool_limit = 0
  c.test_fraction = 0.3
  c.label_noise = 0.25
  c.train_flips = (0.1, 0.2)
  c.test_flips = (0.5, 0.9)    # the first is the headline (colour uninformative)
  c.methods = ("erm", "irm", "pirm_meta", "pirm_cluster", "pirm_colour")
  c.seeds = 3
  c.hidden = 256
  c.steps = 501
  c.lr = 4.898536566546834e-4
  c.l2 = 0.00110794568
  c.anneal_step = 190
  c.irm_lambda = 91257.18613115903
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
