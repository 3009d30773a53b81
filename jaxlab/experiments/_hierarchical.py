"""Hierarchical Colored Digits, shared by `pirm_partitions` and `pirm_fairness`.

Four training environments: two label rules (``lt5``, ``swap``: the
meta-information, one partition each) times two colour strengths (e = 0.1,
0.2). A *scheme* splits the training environments into partitions; one
model is trained per partition (IRMv1 within it) and each test environment
is scored by the models whose partition contains its label rule (averaged
when several do). Schemes:

- ``all``: one partition of every environment (plain IRM / ERM);
- ``meta``: by the label-rule meta-information;
- ``cluster``: k-means on per-environment label statistics P(y=1 | digit),
  for when no meta-information is given;
- ``colour``: a deliberately wrong split by colour strength, which keeps the
  colour cue invariant within each partition.
"""
from __future__ import annotations

import numpy as np

from jaxlab.data import colored_digits as cd
from jaxlab.experiments import _invariance as inv
from jaxlab.experiments import common
from jaxlab.models.classifiers import MLPClassifier, MLPConfig
from jaxlab.objectives import irm, partitions

SCHEMES = ("all", "meta", "cluster", "colour")


def label_descriptors(data: cd.ColoredDigits) -> np.ndarray:
  """Per-environment P(y = 1 | digit) from one draw -> [E, 10]."""
  batch = data.batch(0)
  desc = np.zeros((len(data.envs), 10))
  for e in range(len(data.envs)):
    for d in range(10):
      rows = (batch["env"] == e) & (data.digits == d)
      desc[e, d] = batch["y"][rows].mean() if rows.any() else 0.5
  return desc


def scheme_partitions(scheme: str, data: cd.ColoredDigits) -> partitions.Partitions:
  names = data.env_names
  if scheme == "all":
    return {"all": tuple(range(len(names)))}
  if scheme == "meta":
    return partitions.from_meta({e.name: e.meta for e in data.envs}, names)
  if scheme == "cluster":
    return partitions.from_clusters(label_descriptors(data), 2)
  if scheme == "colour":
    return partitions.from_meta({e.name: f"e{e.color_flip:g}" for e in data.envs},
                                names)
  raise ValueError(f"unknown partition scheme {scheme!r}; allowed: "
                   f"{', '.join(SCHEMES)}")


def pools(config):
  return cd.load_pool(config.pool, config.test_fraction, seed=0,
                      limit=config.pool_limit or None)


def train_data(config, pool, seed: int, devices: int) -> cd.ColoredDigits:
  train_envs, _ = cd.hierarchical_envs(tuple(config.train_flips),
                                       tuple(config.test_flips))
  return cd.ColoredDigits(*pool, train_envs, label_noise=config.label_noise,
                          seed=seed, multiple_of=devices)


def test_data(config, pool, seed: int) -> cd.ColoredDigits:
  _, test_envs = cd.hierarchical_envs(tuple(config.train_flips),
                                      tuple(config.test_flips))
  return cd.ColoredDigits(*pool, test_envs, label_noise=config.label_noise,
                          seed=10_000 + seed, redraw=False)


def spec_for(penalty_weight: float, config) -> irm.Invariance:
  if penalty_weight == 0:
    return irm.Invariance("erm")
  return irm.Invariance("irm", penalty_weight=penalty_weight,
                        anneal_step=config.anneal_step)


def partition_model(workdir: str, config, pool, envs: tuple[int, ...],
                    penalty_weight: float, seed: int, devices: int) -> dict:
  """Trains one model on the environments `envs` of the hierarchical
  training set and returns its per-environment test metrics (cached by
  environments, penalty and seed, so schemes that share a partition share
  the run)."""
  name = f"env{''.join(map(str, envs))}_lam{penalty_weight:g}_seed{seed}"

  def compute():
    full = train_data(config, pool[0], seed, devices)
    own = np.isin(full.env, envs)   # each environment keeps its own images
    sub = cd.ColoredDigits(full.images[own], full.digits[own],
                           [full.envs[e] for e in envs],
                           label_noise=config.label_noise, seed=seed,
                           per_env=len(full.digits) // len(full.envs),
                           multiple_of=devices)
    model = MLPClassifier(MLPConfig((config.hidden, config.hidden)))
    params = inv.train_classifier(
        inv.subrun_dir(workdir, name), model, spec_for(penalty_weight, config),
        sub, len(envs), sub.batch(0)["x"][:1],
        inv.TrainSpec(config.steps, config.lr, config.l2, seed))
    test = test_data(config, pool[1], seed)
    return inv.evaluate(model, params, test.batch(0), test.env_names)

  return common.cached(workdir, name, compute)


def score_scheme(parts: partitions.Partitions, train_envs, test_envs,
                 metrics_by_part: dict[str, dict]) -> dict[str, float]:
  """Test accuracy per test environment under a scheme: each test
  environment is scored by the partitions that contain its label rule."""
  out = {}
  for env in test_envs:
    owners = [p for p, envs in parts.items()
              if any(train_envs[e].rule == env.rule for e in envs)]
    out[env.name] = float(np.mean([metrics_by_part[p][f"acc/{env.name}"]
                                   for p in owners]))
  return out
