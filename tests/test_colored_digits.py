"""Colored Digits: the IRM construction, per-step redraws, the hierarchy, MNIST."""
import numpy as np
import pytest

from jaxlab.data import colored_digits as cd


def _source(envs, **kw):
  (x, d), _ = cd.load_pool("sklearn", 0.3, seed=0)
  return cd.ColoredDigits(x, d, envs, **kw)


def test_irm_construction_rates():
  train, _ = cd.irm_envs((0.1, 0.3))
  src = _source(train, seed=1)
  b = src.batch(0)
  n = src.batch_size
  assert b["x"].shape == (n, 2, 8, 8) and b["y"].shape == (n,)
  colour = (b["x"][:, 1].sum((1, 2)) > 0).astype(float)
  assert np.all(b["x"][np.arange(n), 1 - colour.astype(int)] == 0)   # one channel
  clean = cd.LABEL_RULES["lt5"][src.digits]
  agree_label = np.mean(b["y"] == clean)
  assert agree_label == pytest.approx(0.75, abs=0.04)
  for e, flip in enumerate((0.1, 0.3)):
    rows = b["env"] == e
    assert np.mean(colour[rows] != b["y"][rows]) == pytest.approx(flip, abs=0.05)


def test_redraws_per_step_deterministically():
  src = _source(cd.irm_envs()[0], seed=3)
  a, a2, other = src.batch(5), src.batch(5), src.batch(6)
  np.testing.assert_array_equal(a["x"], a2["x"])
  assert not np.array_equal(a["y"], other["y"])
  fixed = _source(cd.irm_envs()[0], seed=3, redraw=False)
  np.testing.assert_array_equal(fixed.batch(5)["y"], fixed.batch(6)["y"])
  np.testing.assert_array_equal(src.batch(5, slice(2, 6))["y"], a["y"][2:6])


def test_hierarchical_rules_and_meta():
  train, test = cd.hierarchical_envs()
  assert [e.meta for e in train] == ["lt5", "lt5", "swap", "swap"]
  assert [e.color_flip for e in test] == [0.5, 0.9, 0.5, 0.9]
  src = _source(train, label_noise=0.0, multiple_of=4)
  b = src.batch(0)
  assert src.batch_size % 16 == 0
  swap_rows = b["env"] >= 2
  digits = src.digits
  np.testing.assert_array_equal(b["y"][swap_rows],
                                np.isin(digits[swap_rows], [0, 1, 2, 8, 9]))


def test_bad_inputs_raise():
  (x, d), _ = cd.load_pool("sklearn", 0.3, seed=0)
  with pytest.raises(ValueError, match="an environment would have no samples"):
    cd.ColoredDigits(x[:3], d[:3], cd.hierarchical_envs()[0])
  with pytest.raises(ValueError, match="unknown label rule 'odd'"):
    cd.ColorEnv("bad", 0.1, rule="odd")
  with pytest.raises(ValueError, match="unknown digit pool 'svhn'"):
    cd.load_pool("svhn")


def test_mnist_pool_through_tfds_mock():
  tfds = pytest.importorskip("tensorflow_datasets")
  with tfds.testing.mock_data(num_examples=12):
    (x, d), (tx, td) = cd.load_pool("mnist", limit=8)
  assert x.shape == (8, 14, 14) and d.shape == (8,) and tx.shape == (8, 14, 14)
  assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
  src = cd.ColoredDigits(x, d, cd.irm_envs()[0])
  assert src.batch(0)["x"].shape == (8, 2, 14, 14)
