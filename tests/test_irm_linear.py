"""The irm_linear experiment (tiny): IRM shrinks the partial block, P-IRM keeps it."""
import json
import os

from jaxlab import experiments
from jaxlab.configs import irm_linear as cfg


def test_tiny_run_recovers_the_partial_block_and_resumes(tmp_path):
  exp = experiments.load("irm_linear")
  results = exp.run(cfg.get_config("tiny"), str(tmp_path))
  for m in exp.METHODS:
    for k in ("w1_ratio", "w2_ratio", "test_mse"):
      assert f"{k}/{m}" in results and f"{k}/{m}_std" in results
    assert 0.7 < results[f"w1_ratio/{m}"] < 1.3          # z1 is kept by all
  assert results["w2_ratio/pirm_partitioned"] > results["w2_ratio/irm"] + 0.3
  assert results["test_mse/pirm_partitioned"] < results["test_mse/irm"]
  assert os.path.exists(tmp_path / "irm_linear.png")
  with open(tmp_path / "results.json") as f:
    assert json.load(f)["results"] == results
  assert exp.run(cfg.get_config("tiny"), str(tmp_path)) == results   # cached
  assert "partitioned P-IRM" in exp.summarize(results)
