"""Random-access batch sources for the training loop.

A source answers ``batch(step, rows)``: the given rows of global batch
`step`. Examples are visited epoch by epoch in a permutation drawn from
``(seed, epoch)``, so the data position is a pure function of the step and
a resumed run reads exactly what an uninterrupted one would.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np


def epoch_indices(num_examples: int, batch_size: int, seed: int, step: int,
                  rows: slice) -> np.ndarray:
  """Example indices for `rows` of global batch `step` (drop-remainder epochs)."""
  if batch_size > num_examples:
    raise ValueError(f"batch_size={batch_size} exceeds the {num_examples} examples")
  per_epoch = num_examples // batch_size
  epoch, within = divmod(step, per_epoch)
  order = np.random.default_rng([seed, epoch]).permutation(num_examples)
  start = within * batch_size
  return order[start:start + batch_size][rows]


class ArraySource:
  """Batches from in-memory arrays ``{name: [N, ...]}``."""

  def __init__(self, arrays: Mapping[str, np.ndarray], batch_size: int, seed: int = 0):
    sizes = {k: len(v) for k, v in arrays.items()}
    if len(set(sizes.values())) != 1:
      raise ValueError(f"arrays have different lengths: {sizes}")
    self.arrays = dict(arrays)
    self.num_examples = next(iter(sizes.values()))
    self.batch_size = batch_size
    self.seed = seed
    epoch_indices(self.num_examples, batch_size, seed, 0, slice(None))  # validates

  def batch(self, step: int, rows: slice) -> dict[str, np.ndarray]:
    idx = epoch_indices(self.num_examples, self.batch_size, self.seed, step, rows)
    return {k: v[idx] for k, v in self.arrays.items()}


class RecordSource:
  """Batches from any random-access sequence of example dicts (e.g. a
  `tfds.data_source`), decoded and stacked by `preprocess`."""

  def __init__(self, records: Sequence[Mapping[str, Any]], batch_size: int,
               preprocess: Callable[[Mapping[str, Any]], Mapping[str, np.ndarray]],
               seed: int = 0):
    self.records = records
    self.num_examples = len(records)
    self.batch_size = batch_size
    self.preprocess = preprocess
    self.seed = seed
    epoch_indices(self.num_examples, batch_size, seed, 0, slice(None))

  def batch(self, step: int, rows: slice) -> dict[str, np.ndarray]:
    idx = epoch_indices(self.num_examples, self.batch_size, self.seed, step, rows)
    examples = [self.preprocess(self.records[int(i)]) for i in idx]
    return {k: np.stack([e[k] for e in examples]) for k in examples[0]}
