"""universal_ablation: variant configs, and (slow) the tiny run."""
import os

import pytest

from jaxlab import experiments
from jaxlab.configs import universal_ablation as cfg_module
from jaxlab.experiments.universal_ablation import variant_config


def test_variant_config_changes_one_thing():
  base = cfg_module.get_config()
  cfg = variant_config(base, {"num_layers": 1, "seq_len": 32})
  assert (cfg.model.num_layers, cfg.seq_len) == (1, 32)
  assert (base.model.num_layers, base.seq_len) == (2, 64)   # base untouched
  with pytest.raises(ValueError, match="dropout"):
    variant_config(base, {"dropout": 0.1})


@pytest.mark.slow
def test_tiny_run(tmp_path):
  config = cfg_module.get_config("tiny")
  r = experiments.load("universal_ablation").run(config, str(tmp_path))
  # Same seed and context: every variant is scored on the same test chains.
  assert r["bayes/base"] == r["bayes/no_pos"]
  for name in ("base", "no_pos"):
    assert r[f"gap_to_bayes/{name}"] == pytest.approx(
        r[f"loss/{name}"] - r[f"bayes/{name}"])
    assert 0 < r[f"gap_to_bayes/{name}"] < 0.4
  assert os.path.exists(tmp_path / "universal_ablation.png")
