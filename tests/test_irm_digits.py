"""The irm_digits experiment (tiny)."""
import os

import pytest

from jaxlab import experiments
from jaxlab.configs import irm_digits as cfg


def test_tiny_run_writes_every_method(tmp_path):
  exp = experiments.load("irm_digits")
  config = cfg.get_config("tiny")
  config.methods = ("erm", "groupdro", "oracle")
  workdir = str(tmp_path)
  results = exp.run(config, workdir)
  assert set(results) == {f"{s}_acc/{m}{t}" for s in ("train", "test")
                          for m in config.methods for t in ("", "_std")}
  # Even short ERM and GroupDRO runs lean on colour (both training
  # environments favour it): far better in training than at test.
  for m in ("erm", "groupdro"):
    assert results[f"train_acc/{m}"] > results[f"test_acc/{m}"] + 0.3
  # The oracle cannot see colour: its accuracy does not collapse at test.
  assert abs(results["train_acc/oracle"] - results["test_acc/oracle"]) < 0.15
  assert os.path.exists(os.path.join(workdir, "irm_digits.png"))


def test_objective_names_each_method():
  config = cfg.get_config("tiny")
  exp = experiments.load("irm_digits")
  assert exp.objective("oracle", config).method == "irm"
  assert exp.objective("vrex", config).penalty_weight == config.vrex_lambda
  with pytest.raises(ValueError, match="unknown method 'fish'"):
    exp.objective("fish", config)
  with pytest.raises(ValueError, match="unknown irm_digits config 'huge'"):
    cfg.get_config("huge")
