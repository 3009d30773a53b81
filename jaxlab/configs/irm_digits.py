"""Colored Digits: ERM, IRMv1, V-REx, GroupDRO and the grayscale oracle.

Launch: ``jaxlab run irm_digits --workdir runs/irm_digits`` (about 11 minutes
on a busy 2-core CPU); ``--config=irm_digits:tiny`` runs in seconds; real MNIST
(where tfds has it): ``--config.pool=mnist``.
"""
import ml_collections


def get_config(arg=None):
  c = ml_collections.ConfigDict()
  c.pool = "sklearn"           # sklearn (bundled 8x8 digits) | mnist (tfds)
  c.pool_limit = 0             # cap on MNIST images per split (0 = all)
  c.test_fraction = 0.3
  c.label_noise = 0.25
  c.train_flips = (0.1, 0.2)
  c.test_flips = (0.9,)
  c.redraw = True              # fresh label noise and colours every step
  c.methods = ("erm", "irm", "vrex", "groupdro", "oracle")
  c.seeds = 5
  # The IRM reference recipe (reproduce_paper_results.sh).
  c.hidden = 390
  c.steps = 501
  c.lr = 4.898536566546834e-4
  c.l2 = 0.00110794568
  c.anneal_step = 190
  c.irm_lambda = 91257.18613115903
  c.vrex_lambda = 91257.18613115903
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
