"""The 8x8 handwritten digits that scikit-learn ships (1,797 images): the
first real data set, available on any machine without a download."""
from __future__ import annotations

import functools

import numpy as np

NUM_CLASSES = 10


@functools.lru_cache(maxsize=1)
def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
  """Returns ``(images_Nx8x8 float32 in [0, 1], labels_N int32)``."""
  from sklearn.datasets import load_digits  # Ships the data inside the wheel.
  bunch = load_digits()
  images = (bunch.images / 16.0).astype(np.float32)
  labels = bunch.target.astype(np.int32)
  images.setflags(write=False)
  labels.setflags(write=False)
  return images, labels


def train_test_split(test_fraction: float, seed: int
                     ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
  """A seeded split of the digits into ``{"image": [N,8,8,1], "label": [N]}``."""
  if not 0.0 < test_fraction < 1.0:
    raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
  images, labels = load_digits_arrays()
  order = np.random.default_rng(seed).permutation(len(labels))
  n_test = int(round(test_fraction * len(labels)))
  test, train = order[:n_test], order[n_test:]
  as_split = lambda idx: {"image": images[idx][..., None], "label": labels[idx]}
  return as_split(train), as_split(test)
