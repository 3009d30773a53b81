"""Colored Digits: ERM, IRMv1, V-REx, GroupDRO and the grayscale oracle.

Launch: ``jaxlab run irm_digits --workdir runs/irm_digits`` (about 11 minutes
on a busy 2-core CPU); ``--config=irm_digits:tiny`` runs in seconds; real MNIST
(where tfds has it): ``--config.pool=mnist``.
"""
from jaxlab.configs._colored_digits import IRM_LAMBDA, colored_digits_config


def get_config(arg=None):
  c = colored_digits_config()
  c.test_flips = (0.9,)
  c.redraw = True              # fresh label noise and colours every step
  c.methods = ("erm", "irm", "vrex", "groupdro", "oracle")
  c.seeds = 5
  c.hidden = 390
  c.irm_lambda = IRM_LAMBDA
  c.vrex_lambda = IRM_LAMBDA
  c.unbiased = False           # full batch: the biased form of the IRM code
  c.dro_eta = 0.01
  if arg == "tiny":
    c.seeds = 1
    c.hidden = 32
    c.steps = 60
    c.anneal_step = 20
  elif arg not in (None, "", "default"):
    raise ValueError(f"unknown irm_digits config {arg!r}; allowed: default, tiny")
  return c
