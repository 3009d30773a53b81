"""universal_markov (tiny): the Transformer is scored next to KT, CTW and the
true source on the same held-out in-context chains; re-running resumes."""
import math
import os

import pytest

from jaxlab import experiments
from jaxlab.configs import universal_markov as cfg_module


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
  config = cfg_module.get_config("tiny")
  config.seeds = (0,)
  workdir = str(tmp_path_factory.mktemp("universal_markov"))
  return config, workdir, experiments.load("universal_markov").run(config, workdir)


def test_predictors_are_ordered_as_theory_says(tiny_run):
  _, workdir, r = tiny_run
  # Order-1 chains: KT of the true order (Bayes) beats the memoryless KT and
  # the overfitting order-2 KT; nothing beats the true chain; the true chain's
  # loss estimates the mean entropy rate.
  assert r["loss/oracle"] < r["loss/kt1"] < r["loss/kt0"] < math.log(2)
  assert r["loss/kt1"] < r["loss/kt2"]
  assert r["loss/oracle"] < r["loss/ctw1"]
  assert abs(r["loss/oracle"] - r["entropy_rate"]) < 0.05
  assert r["excess/kt1"] > 0
  # 60 steps teach the Transformer at least the symbol statistics.
  assert r["loss/transformer"] < math.log(2) - 0.05
  assert r["gap_to_bayes"] == pytest.approx(r["loss/transformer"] - r["loss/kt1"])
  assert os.path.exists(os.path.join(workdir, "universal_markov.png"))
  assert "Bayes" in experiments.load("universal_markov").summarize(r)


def test_rerun_resumes_from_the_cached_seeds(tiny_run):
  config, workdir, first = tiny_run
  assert experiments.load("universal_markov").run(config, workdir) == first


def test_unknown_variant_raises():
  with pytest.raises(ValueError, match="huge"):
    cfg_module.get_config("huge")
