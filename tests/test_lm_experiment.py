"""The lm experiment end to end on its tiny variant, and resume."""
import json
import os

from jaxlab import experiments
from jaxlab.configs import lm as lm_config


def test_tiny_lm_learns_below_uniform_and_resumes(tmp_path):
  exp = experiments.load("lm")
  cfg = lm_config.get_config("tiny")
  results = exp.run(cfg, str(tmp_path))
  # 40 steps of a 1-layer model: well below uniform bytes (8 bits), near the unigram.
  assert results["test_bits_per_byte"] < 6.0
  assert results["unigram_bits_per_byte"] < 5.5
  assert results["test_perplexity"] == 2.0 ** results["test_bits_per_byte"]
  assert results["sample/0"].startswith("The ") and len(results["sample/0"]) >= 4 + 6
  assert 0.0 <= results["sample_distinct_words"] <= 1.0
  assert os.path.exists(tmp_path / "lm_perplexity.png")
  assert "bits per byte" in exp.summarize(results)
  again = exp.run(cfg, str(tmp_path))            # finished checkpoints: no retraining
  assert again["test_bits_per_byte"] == results["test_bits_per_byte"]
  with open(tmp_path / "seed_0" / "metrics.jsonl") as f:
    steps = [json.loads(line)["step"] for line in f if '"loss"' in line]
  assert steps == sorted(set(steps)) and steps[-1] == cfg.train.num_steps


def test_distinct_word_fraction_detects_loops():
  lm = experiments.load("lm")
  assert lm.distinct_word_fraction(["the same the same", "a b c"]) == (0.5 + 1.0) / 2
  assert lm.distinct_word_fraction(["   "]) == 0.0
