"""Partitions of training environments for partial invariance (P-IRM).

A partition is a named, non-empty set of environment indices. Partitions
come either from meta-information the user gives per environment (a time
period, a region, a label rule: environments sharing a value form one
partition) or, where none is known, from clustering environment descriptors
(any per-environment feature vector, e.g. label statistics), as the P-IRM
code does with spectral clustering of its MetaShift meta-graph.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

Partitions = dict[str, tuple[int, ...]]


def from_names(groups: Mapping[str, Sequence[str]],
               env_names: Sequence[str]) -> Partitions:
  """``{partition: [env name, ...]}`` -> ``{partition: (env index, ...)}``.

  Raises ValueError for an empty partition or a name that is not one of
  `env_names`.
  """
  index = {n: i for i, n in enumerate(env_names)}
  out: Partitions = {}
  for part, names in groups.items():
    if not names:
      raise ValueError(f"partition {part!r} names no environments")
    missing = [n for n in names if n not in index]
    if missing:
      raise ValueError(f"partition {part!r} names missing environment(s) "
                       f"{missing}; known: {list(env_names)}")
    out[part] = tuple(index[n] for n in names)
  return out


def from_meta(meta: Mapping[str, str], env_names: Sequence[str]) -> Partitions:
  """Environments with equal meta-information value share a partition.

  `meta` maps each environment name to its value; partitions are named
  after the values, in order of first appearance in `env_names`.
  """
  unknown = [n for n in meta if n not in env_names]
  if unknown:
    raise ValueError(f"meta-information for missing environment(s) {unknown}; "
                     f"known: {list(env_names)}")
  absent = [n for n in env_names if n not in meta]
  if absent:
    raise ValueError(f"no meta-information for environment(s) {absent}")
  groups: dict[str, list[str]] = {}
  for n in env_names:
    groups.setdefault(str(meta[n]), []).append(n)
  return from_names(groups, env_names)


def from_clusters(descriptors_ExD: np.ndarray, num_partitions: int,
                  seed: int = 0) -> Partitions:
  """k-means on environment descriptors -> partitions ``cluster0..k-1``.

  Clusters are numbered by their smallest environment index, so the result
  does not depend on k-means' label order.
  """
  from sklearn.cluster import KMeans  # Only this path needs scikit-learn.
  desc = np.asarray(descriptors_ExD, np.float64)
  if desc.ndim != 2:
    raise ValueError(f"descriptors must be [environments, features], got "
                     f"shape {desc.shape}")
  if not 1 <= num_partitions <= len(desc):
    raise ValueError(f"num_partitions must be in [1, {len(desc)}] (the number "
                     f"of environments), got {num_partitions}")
  labels = KMeans(num_partitions, n_init=10, random_state=seed).fit_predict(desc)
  order = sorted(set(labels.tolist()), key=lambda c: np.flatnonzero(labels == c)[0])
  return {f"cluster{i}": tuple(int(e) for e in np.flatnonzero(labels == c))
          for i, c in enumerate(order)}


def select(partitions: Partitions, name: str) -> tuple[int, ...]:
  """The environments of partition `name`, or a ValueError listing the known."""
  if name not in partitions:
    raise ValueError(f"unknown partition {name!r}; known: {sorted(partitions)}")
  return partitions[name]
