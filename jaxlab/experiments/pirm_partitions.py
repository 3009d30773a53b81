"""Partial invariance on hierarchical Colored Digits.

Two label rules (the environment meta-information) each with two colour
environments. One model trained with IRM over all four environments has to
find a predictor invariant across rules, which the digits {3, 4, 8, 9} do
not allow; P-IRM trains one model per partition (from the meta-information,
or from clustering label statistics when none is given) and keeps them.
A colour-based split shows that a wrong partition hurts: colour is then
invariant inside each partition and IRM keeps it. ``cross_lt5`` is the
``lt5`` partition's model applied to both rules: the cost, to the other
group, of ignoring the hierarchy (a fairness gap).

Headline test environments have e = 0.5 (colour carries no signal); e = 0.9
(colour reversed) is reported too.
"""
from __future__ import annotations

import jax
import numpy as np
from tqdm.auto import tqdm

from jaxlab.data import colored_digits as cd
from jaxlab.experiments import _hierarchical as hier
from jaxlab.experiments import _invariance as inv
from jaxlab.experiments import common

PAPER = "pirm"
DESCRIPTION = "Hierarchical Colored Digits: one IRM model vs one P-IRM model per partition"
# method -> (partition scheme, uses the IRM penalty)
METHODS = {"erm": ("all", False), "irm": ("all", True),
           "pirm_meta": ("meta", True), "pirm_cluster": ("cluster", True),
           "pirm_colour": ("colour", True)}


def run_seed(config, workdir: str, seed: int, pool, devices: int) -> dict:
  """Per-method test accuracies of one seed (sub-runs cached by partition)."""
  train_envs, test_envs = cd.hierarchical_envs(tuple(config.train_flips),
                                               tuple(config.test_flips))
  data = hier.train_data(config, pool[0], seed, devices)
  out = {}
  for method in config.methods:
    if method not in METHODS:
      raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    scheme, penalised = METHODS[method]
    parts = hier.scheme_partitions(scheme, data)
    weight = config.irm_lambda if penalised else 0.0
    by_part = {p: hier.partition_model(workdir, config, pool, envs, weight,
                                       seed, devices)
               for p, envs in parts.items()}
    for env, acc in hier.score_scheme(parts, train_envs, test_envs, by_part).items():
      out[f"{method}/{env}"] = acc
    if method == "pirm_meta":
      out.update({f"cross_lt5/{e.name}": by_part["lt5"][f"acc/{e.name}"]
                  for e in test_envs})
    if method == "pirm_cluster":
      meta = hier.scheme_partitions("meta", data)
      out["cluster_matches_meta"] = float(
          sorted(parts.values()) == sorted(meta.values()))
  return out


def run(config, workdir: str) -> dict:
  pool = hier.pools(config)
  devices = jax.device_count()
  per_seed = [run_seed(config, workdir, seed, pool, devices)
              for seed in tqdm(range(config.seeds), desc="pirm_partitions")]
  _, test_envs = cd.hierarchical_envs(tuple(config.train_flips),
                                      tuple(config.test_flips))
  rows = list(config.methods) + (["cross_lt5"] if "pirm_meta" in config.methods else [])
  samples: dict[str, list[float]] = {}
  for flip in config.test_flips:
    envs = [e for e in test_envs if e.color_flip == flip]
    for m in rows:
      accs = np.asarray([[s[f"{m}/{e.name}"] for e in envs] for s in per_seed])
      for i, e in enumerate(envs):
        samples[f"acc_{e.rule}_e{flip:g}/{m}"] = accs[:, i]
      samples[f"avg_acc_e{flip:g}/{m}"] = accs.mean(1)
      samples[f"worst_acc_e{flip:g}/{m}"] = accs.min(1)
      samples[f"gap_e{flip:g}/{m}"] = accs.max(1) - accs.min(1)
  if "pirm_cluster" in config.methods:
    samples["cluster_matches_meta"] = [s["cluster_matches_meta"] for s in per_seed]
  results = common.mean_std(samples)
  _figure(results, rows, config.test_flips[0], workdir)
  return common.write_results(workdir, "pirm_partitions", results, config)


def _figure(results, rows, flip, workdir):
  common.figure_backend()
  keys = {f"rule lt5": f"acc_lt5_e{flip:g}", "rule swap": f"acc_swap_e{flip:g}",
          "average": f"avg_acc_e{flip:g}", "worst partition": f"worst_acc_e{flip:g}"}
  series = {label: ([results[f"{k}/{m}"] for m in rows],
                    [results[f"{k}/{m}_std"] for m in rows])
            for label, k in keys.items()}
  fig = inv.bar_figure(rows, series, f"test accuracy (e={flip:g})",
                       "Hierarchical Colored Digits: per-partition accuracy")
  common.save_figure(fig, workdir, "pirm_partitions")


def summarize(results: dict) -> str:
  g = lambda k: results.get(k, float("nan"))
  return (
      "P-IRM claims that when environments differ hierarchically (here two "
      "label rules, each with two colour environments), enforcing invariance "
      "within partitions given by meta-information beats one IRM model over "
      "all environments. On e=0.5 test environments (colour uninformative) "
      f"the average/worst-partition accuracy was ERM {g('avg_acc_e0.5/erm'):.1%}"
      f"/{g('worst_acc_e0.5/erm'):.1%}, IRM over all environments "
      f"{g('avg_acc_e0.5/irm'):.1%}/{g('worst_acc_e0.5/irm'):.1%}, P-IRM with "
      f"meta-information partitions {g('avg_acc_e0.5/pirm_meta'):.1%}/"
      f"{g('worst_acc_e0.5/pirm_meta'):.1%}, with clustered partitions "
      f"{g('avg_acc_e0.5/pirm_cluster'):.1%} (clusters matched the "
      f"meta-information in {g('cluster_matches_meta'):.0%} of seeds), and with "
      f"a wrong, colour-based split {g('avg_acc_e0.5/pirm_colour'):.1%}. "
      f"The lt5 partition's model applied to both rules reached "
      f"{g('avg_acc_e0.5/cross_lt5'):.1%} with a gap of "
      f"{g('gap_e0.5/cross_lt5'):.1%} between the groups. At e=0.9 (colour "
      f"reversed) the averages were IRM {g('avg_acc_e0.9/irm'):.1%} vs P-IRM "
      f"{g('avg_acc_e0.9/pirm_meta'):.1%}.")
