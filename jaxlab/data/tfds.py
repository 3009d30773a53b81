"""Real data sets through TensorFlow Datasets' random-access data sources.

`tfds.data_source` reads ArrayRecord files by index, which fits the loop's
step-addressed batches: each process reads only its own rows of each global
batch. On machines without the prepared data set, tfds raises its own error;
tests run this code under `tfds.testing.mock_data`.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from jaxlab.data.sources import RecordSource


def image_classification_example(example: Mapping[str, Any]) -> dict[str, np.ndarray]:
  """``{"image": uint8 HxWxC, "label": int}`` -> float32 in [0, 1] and int32."""
  return {"image": np.asarray(example["image"], np.float32) / 255.0,
          "label": np.asarray(example["label"], np.int32)}


def image_classification_source(name: str, split: str, batch_size: int,
                                seed: int = 0, data_dir: str | None = None
                                ) -> RecordSource:
  """A loop `DataSource` over a tfds image-classification set (e.g. ``mnist``)."""
  import tensorflow_datasets as tfds  # Heavy: import only when used.
  records = tfds.data_source(name, split=split, data_dir=data_dir)
  return RecordSource(records, batch_size, image_classification_example, seed)


def load_split_arrays(name: str, split: str, data_dir: str | None = None,
                      limit: int | None = None) -> dict[str, np.ndarray]:
  """A whole (small) split as stacked arrays, e.g. for evaluation."""
  import tensorflow_datasets as tfds
  records = tfds.data_source(name, split=split, data_dir=data_dir)
  n = len(records) if limit is None else min(limit, len(records))
  examples = [image_classification_example(records[i]) for i in range(n)]
  return {k: np.stack([e[k] for e in examples]) for k in examples[0]}
