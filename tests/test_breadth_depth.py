"""The breadth_depth experiment's tiny variant end to end, and its budget rule."""
import json
import math
import os

import numpy as np
import pytest

from jaxlab import experiments
from jaxlab.configs import breadth_depth as cfg_mod
from jaxlab.data import plan_arith as pa

bd = experiments.load("breadth_depth")


def test_tree_levels_fit_the_budget():
  L = 18
  assert bd.tree_levels(4 * L, L, 4, 1) == (
      bd.tree.Level(4, pa.PREFIX_TOKENS, keep=1), bd.tree.Level(4, 11))
  assert bd.tree.token_budget(bd.tree_levels(4 * L, L, 4, 1)) == 4 * 7 + 4 * 11 <= 4 * L
  assert bd.tree_levels(4 * L, L, 8, 2) is None          # 56 + 22 > 72
  with pytest.raises(ValueError, match="unknown breadth_depth config"):
    cfg_mod.get_config("huge")


def test_tiny_run(tmp_path):
  config = cfg_mod.get_config("tiny")
  workdir = str(tmp_path)
  results = bd.run(config, workdir)
  with open(os.path.join(workdir, bd.DETAILS_FILE)) as f:
    details = json.load(f)                    # every tree setting and signal
  L = results["trace_len"]
  assert L == pa.Vocab(config.modulus).trace_len
  for name in bd.MODELS:
    h = results[f"{name}/profile/entropy"]
    assert 0 <= h <= math.log(pa.NUM_APPROACHES + 1) + 1e-9
    assert results[f"{name}/profile/effective_approaches"] >= np.exp(h) - 1e-9  # Jensen
    assert sum(results[f"{name}/profile/pi/{z}"] for z in range(4)) == pytest.approx(1)
    assert results[f"{name}/profile/breadth"] + results[f"{name}/profile/depth"] == \
        pytest.approx(results[f"{name}/profile/answer_entropy"])
    for b in config.budgets:
      par = f"{name}/%s/b{b}/parallel"
      assert results[par % "tokens"] <= b * L
      assert results[par % "pass"] >= results[par % "vote"]
      trees = [k for k in details if k.startswith(f"{name}/tokens/b{b}/tree_m")
               and not k.endswith("_std")]
      assert trees, f"no tree fits budget {b}"
      for k in trees:
        assert details[k] <= b * L                       # matched (never above) budget
        assert k not in results                          # details only
      mean_tree = np.mean([details[k.replace("/tokens/", "/vote/")] for k in trees])
      assert results[f"{name}/vote/b{b}/tree"] == pytest.approx(mean_tree)
      assert results[f"{name}/gap_vote/b{b}"] == pytest.approx(
          mean_tree - results[par % "vote"])
  for fig in ("breadth_depth.png", "breadth_depth_profile.png"):
    assert os.path.getsize(os.path.join(workdir, fig)) > 1000
  with open(os.path.join(workdir, "results.json")) as f:
    assert json.load(f)["results"]["trace_len"] == L
  assert "H(pi)" in bd.summarize(results)
  # Re-running resumes: every sub-run is cached, the numbers are identical.
  assert bd.run(config, workdir) == results
