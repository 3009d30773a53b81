"""Text with temporal drift: ERM, IRM and P-IRM on the recent periods.

Launch: ``jaxlab run pirm_text --workdir runs/pirm_text`` (a few minutes on
a 2-core CPU); ``--config=pirm_text:tiny`` runs in seconds.
"""
import ml_collections


def get_config(arg=None):
  c = ml_collections.ConfigDict()
  c.per_period = 256             # fresh sentences per period per step
  c.test_size = 2000
  c.cue_noise = 0.25
  c.partition = "recent"         # P-IRM partition (meta-information: era)
  c.methods = ("erm", "irm", "pirm_partitioned", "pirm_conditioned", "pirm_old")
  c.seeds = 3
  c.embed_dim = 16
  c.hidden = 32
  c.steps = 600
  c.lr = 3e-3
  c.anneal_step = 150
  c.irm_lambda = 1000.0
  if arg == "tiny":
    c.methods = ("erm", "irm", "pirm_partitioned")
    c.per_period = 32
    c.test_size = 200
    c.seeds = 1
    c.steps = 30
    c.anneal_step = 10
    c.irm_lambda = 10.0
  elif arg not in (None, "", "default"):
    raise ValueError(f"unknown pirm_text config {arg!r}; allowed: default, tiny")
  return c
