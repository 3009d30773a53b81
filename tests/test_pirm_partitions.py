"""The pirm_partitions experiment (tiny) and its partition schemes."""
import os

import numpy as np
import pytest

from jaxlab import experiments
from jaxlab.configs import pirm_partitions as cfg
from jaxlab.data import colored_digits as cd
from jaxlab.experiments import _hierarchical as hier


def test_schemes_and_clusters_match_the_hierarchy():
  config = cfg.get_config("tiny")
  data = hier.train_data(config, hier.pools(config)[0], seed=0, devices=4)
  assert hier.scheme_partitions("meta", data) == {"lt5": (0, 1), "swap": (2, 3)}
  assert sorted(hier.scheme_partitions("cluster", data).values()) == [(0, 1), (2, 3)]
  assert hier.scheme_partitions("colour", data) == {"e0.1": (0, 2), "e0.2": (1, 3)}
  with pytest.raises(ValueError, match="unknown partition scheme 'time'"):
    hier.scheme_partitions("time", data)


def test_score_scheme_routes_test_envs_to_their_partition():
  train, test = cd.hierarchical_envs()
  parts = {"lt5": (0, 1), "swap": (2, 3)}
  metrics = {"lt5": {f"acc/{e.name}": 0.8 if e.rule == "lt5" else 0.1 for e in test},
             "swap": {f"acc/{e.name}": 0.6 if e.rule == "swap" else 0.2 for e in test}}
  got = hier.score_scheme(parts, train, test, metrics)
  assert got == {"lt5_e0.5": 0.8, "lt5_e0.9": 0.8, "swap_e0.5": 0.6, "swap_e0.9": 0.6}
  mixed = hier.score_scheme({"a": (0, 2), "b": (1, 3)}, train, test,
                            {"a": {k: 0.5 for k in metrics["lt5"]},
                             "b": {k: 0.7 for k in metrics["lt5"]}})
  assert mixed["lt5_e0.5"] == pytest.approx(0.6)


def test_tiny_run(tmp_path):
  exp = experiments.load("pirm_partitions")
  results = exp.run(cfg.get_config("tiny"), str(tmp_path))
  assert results["cluster_matches_meta"] == 1.0
  for m in ("erm", "irm", "pirm_meta", "pirm_cluster", "cross_lt5"):
    for flip in ("0.5", "0.9"):
      avg, worst, gap = (results[f"{k}_e{flip}/{m}"] for k in ("avg_acc", "worst_acc", "gap"))
      assert 0.0 <= worst <= avg <= 1.0
      lt5, swap = results[f"acc_lt5_e{flip}/{m}"], results[f"acc_swap_e{flip}/{m}"]
      assert avg == pytest.approx((lt5 + swap) / 2) and gap == pytest.approx(abs(lt5 - swap))
  # Clustered partitions equal the meta ones, so they share the trained models.
  assert results["avg_acc_e0.5/pirm_cluster"] == results["avg_acc_e0.5/pirm_meta"]
  assert os.path.exists(tmp_path / "pirm_partitions.png")
  assert "meta-information" in exp.summarize(results)
