"""The pirm_fairness experiment (tiny)."""
import os

import pytest

from jaxlab import experiments
from jaxlab.configs import pirm_fairness as cfg


def test_tiny_run_covers_the_grid(tmp_path):
  exp = experiments.load("pirm_fairness")
  config = cfg.get_config("tiny")
  results = exp.run(config, str(tmp_path))
  for scheme in config.schemes:
    for lam in config.lambdas:
      k = exp.key(scheme, lam)
      assert 0.0 <= results[f"worst_acc/{k}"] <= results[f"avg_acc/{k}"] <= 1.0
      assert results[f"gap/{k}"] == pytest.approx(
          2 * (results[f"avg_acc/{k}"] - results[f"worst_acc/{k}"]))
  # lambda = 0 is ERM: one pooled model or one per partition must differ.
  assert results["avg_acc/all/lam0"] != results["avg_acc/meta/lam0"]
  assert os.path.exists(tmp_path / "pirm_fairness.png")
  assert "meta: lambda=0" in exp.summarize(results)
