"""Digits: a small CNN on scikit-learn's bundled 8x8 digits, proving the loop.

    jaxlab run digits --workdir runs/digits
    jaxlab run digits --workdir runs/digits_tiny --config=digits:tiny
"""
import ml_collections


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.num_seeds = 3
  c.test_fraction = 0.25
  c.split_seed = 0
  c.model = ml_collections.ConfigDict({"features": (16, 32), "hidden": 64})
  c.learning_rate = 3e-3
  c.weight_decay = 1e-4
  c.train = ml_collections.ConfigDict({
      "num_steps": 1500, "batch_size": 64, "num_devices": 0,
      "log_every": 10, "eval_every": 100, "checkpoint_every": 250,
  })
  if arg in (None, "", "default", "cpu"):
    return c
  if arg == "tiny":
    c.num_seeds = 1
    c.model.features = (8,)
    c.model.hidden = 32
    c.train.num_steps = 120
    c.train.batch_size = 32
    c.train.eval_every = 40
    c.train.checkpoint_every = 20
    return c
  raise ValueError(f"unknown digits config variant {arg!r}; known: default, tiny")
