"""The offline byte-level corpus and its batch source."""
import numpy as np
import pytest

from jaxlab.data import text


def test_corpus_split_and_round_trip():
  data = text.load_bytes()
  assert data.dtype == np.uint8 and len(data) > 400_000
  split = text.load_split(test_fraction=0.1)
  assert len(split.train) + len(split.test) == len(data)
  assert abs(len(split.test) / len(data) - 0.1) < 1e-3
  np.testing.assert_array_equal(split.test[:50], data[len(split.train):][:50])
  assert text.decode(text.encode("Dictionaries are ü")) == "Dictionaries are ü"


def test_source_is_a_pure_function_of_step():
  data = np.arange(1000) % 256
  src = text.TextSource(data.astype(np.uint8), seq_len=7, batch_size=4, seed=3)
  a, b = src.batch(5, slice(None)), src.batch(5, slice(None))
  np.testing.assert_array_equal(a["tokens"], b["tokens"])
  assert a["tokens"].shape == (4, 8) and a["tokens"].dtype == np.int32
  np.testing.assert_array_equal(np.diff(a["tokens"], axis=1) % 256, 1)  # contiguous windows
  np.testing.assert_array_equal(src.batch(5, slice(2, 4))["tokens"], a["tokens"][2:])
  assert not np.array_equal(src.batch(6, slice(None))["tokens"], a["tokens"])
  windows = text.eval_windows(data.astype(np.uint8), 7, 3)
  np.testing.assert_array_equal(windows[:, 0], np.array([0, 496, 992]) % 256)  # starts


def test_bad_arguments():
  with pytest.raises(ValueError, match="unknown text corpus 'shakespeare'"):
    text.load_bytes("shakespeare")
  with pytest.raises(ValueError, match="test_fraction must lie in"):
    text.split_bytes(np.zeros(10, np.uint8), 1.0)
  with pytest.raises(ValueError, match="shorter than a window"):
    text.TextSource(np.zeros(5, np.uint8), seq_len=5, batch_size=2)
