"""Step-addressed batch sources and the tfds loader (on mocked tfds data)."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow_datasets as tfds

from jaxlab.data import digits, sources
from jaxlab.data import tfds as jaxlab_tfds


def test_rows_of_a_global_batch_tile_it():
  arrays = {"x": np.arange(100)}
  src = sources.ArraySource(arrays, batch_size=8, seed=3)
  whole = src.batch(5, slice(None))["x"]
  halves = np.concatenate([src.batch(5, slice(0, 4))["x"], src.batch(5, slice(4, 8))["x"]])
  np.testing.assert_array_equal(whole, halves)
  np.testing.assert_array_equal(whole, src.batch(5, slice(None))["x"])  # deterministic


def test_an_epoch_visits_each_example_once():
  src = sources.ArraySource({"x": np.arange(24)}, batch_size=6, seed=0)
  seen = np.concatenate([src.batch(s, slice(None))["x"] for s in range(4)])
  assert sorted(seen.tolist()) == list(range(24))
  next_epoch = np.concatenate([src.batch(s, slice(None))["x"] for s in range(4, 8)])
  assert not np.array_equal(seen, next_epoch)


def test_bad_sizes_are_named():
  with pytest.raises(ValueError, match="batch_size=50 exceeds the 10 examples"):
    sources.ArraySource({"x": np.arange(10)}, batch_size=50)
  with pytest.raises(ValueError, match="different lengths"):
    sources.ArraySource({"x": np.arange(10), "y": np.arange(9)}, batch_size=2)


def test_digits_split_is_disjoint_and_normalised():
  train, test = digits.train_test_split(0.25, seed=0)
  assert train["image"].shape[1:] == (8, 8, 1)
  assert len(train["label"]) + len(test["label"]) == 1797
  assert 0.0 <= train["image"].min() and train["image"].max() <= 1.0
  assert set(np.unique(test["label"])) == set(range(10))


def test_tfds_source_on_mock_mnist():
  with tfds.testing.mock_data(num_examples=24):
    src = jaxlab_tfds.image_classification_source("mnist", "train", batch_size=8, seed=1)
    batch = src.batch(2, slice(0, 4))
    assert batch["image"].shape == (4, 28, 28, 1)
    assert batch["image"].dtype == np.float32 and batch["image"].max() <= 1.0
    assert batch["label"].dtype == np.int32
    epoch = np.concatenate([src.batch(s, slice(None))["label"] for s in range(3)])
    assert len(epoch) == 24


def test_tfds_batches_train_sharded_over_four_devices(tmp_path):
  import jax
  import optax
  from jaxlab.models.cnn import CNNConfig, SmallCNN
  from jaxlab.objectives.classification import cross_entropy
  from jaxlab.train.loop import LoopConfig, compile_step, train

  model = SmallCNN(CNNConfig(features=(4,), hidden=8))
  with tfds.testing.mock_data(num_examples=32):
    src = jaxlab_tfds.image_classification_source("mnist", "train", batch_size=8)
    loss = lambda p, b, rng: (cross_entropy(model.apply({"params": p}, b["image"]), b["label"]), {})
    init = lambda rng: model.init(rng, np.zeros((1, 28, 28, 1), np.float32))["params"]
    cfg = LoopConfig(num_steps=3, batch_size=8, checkpoint_every=0, progress=False)
    batch = compile_step(init_params=init, tx=optax.sgd(0.1), config=cfg,
                         loss_fn=loss).global_batch(src, 0, 8)
    assert batch["image"].shape == (8, 28, 28, 1)
    assert len(batch["image"].sharding.device_set) == jax.device_count() == 4
    result = train(str(tmp_path), init_params=init, tx=optax.sgd(0.1), data=src,
                   config=cfg, loss_fn=loss)
    assert np.isfinite(result.history[-1]["loss"]) and int(result.state.step) == 3
