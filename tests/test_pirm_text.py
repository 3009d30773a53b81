"""The pirm_text experiment (tiny)."""
import os

import pytest

from jaxlab import experiments
from jaxlab.configs import pirm_text as cfg
from jaxlab.objectives import partitions


def test_tiny_run(tmp_path):
  exp = experiments.load("pirm_text")
  config = cfg.get_config("tiny")
  results = exp.run(config, str(tmp_path))
  for m in config.methods:
    assert 0.0 <= results[f"train_acc_worst/{m}"] <= results[f"train_acc/{m}"] <= 1.0
    assert f"test_acc/{m}_std" in results
  # ERM follows the topic word, which is reversed in the test period.
  assert results["test_acc/erm"] < 0.5 < results["train_acc/erm"]
  assert os.path.exists(tmp_path / "pirm_text.png")


def test_partition_names_are_checked():
  config = cfg.get_config("tiny")
  parts = {"old": (0, 1), "recent": (2, 3)}
  assert experiments.load("pirm_text").objective(
      "pirm_conditioned", config, parts).penalty_envs == (2, 3)
  config.partition = "future"
  with pytest.raises(ValueError, match="unknown partition 'future'"):
    experiments.load("pirm_text").objective("pirm_partitioned", config, parts)
