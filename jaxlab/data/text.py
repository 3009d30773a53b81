"""An offline byte-level text corpus and a batch source for language models.

The corpus is the English reference text CPython ships in
`pydoc_data.topics` (the help() pages on statements, operators and types,
about 466 KB): real prose with code, present on every Python install, so
language-model experiments need no download. Tokens are bytes (vocabulary
256). The split is contiguous (the last `test_fraction` of the bytes is the
test set), so no test window overlaps a training window.
"""
from __future__ import annotations

import dataclasses

import numpy as np

VOCAB_SIZE = 256   # byte-level tokens
CORPORA = ("pydoc",)


def load_bytes(name: str = "pydoc") -> np.ndarray:
  """The corpus `name` as a uint8 array (topics joined in sorted-key order)."""
  if name != "pydoc":
    raise ValueError(f"unknown text corpus {name!r}; available: {CORPORA}")
  from pydoc_data import topics
  text = "".join(topics.topics[key] for key in sorted(topics.topics))
  return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


@dataclasses.dataclass(frozen=True)
class Split:
  """Train and test bytes of one corpus."""
  train: np.ndarray
  test: np.ndarray


def split_bytes(data: np.ndarray, test_fraction: float = 0.1) -> Split:
  """Contiguous split: the last `test_fraction` of `data` is the test set."""
  if not 0.0 < test_fraction < 1.0:
    raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
  cut = int(round(len(data) * (1.0 - test_fraction)))
  return Split(train=data[:cut], test=data[cut:])


def load_split(name: str = "pydoc", test_fraction: float = 0.1) -> Split:
  return split_bytes(load_bytes(name), test_fraction)


def _check_window(data: np.ndarray, seq_len: int) -> None:
  if seq_len <= 0:
    raise ValueError(f"seq_len must be positive, got {seq_len}")
  if len(data) < seq_len + 1:
    raise ValueError(f"text of {len(data)} bytes is shorter than a window of "
                     f"seq_len + 1 = {seq_len + 1}")


def windows(data: np.ndarray, starts: np.ndarray, seq_len: int) -> np.ndarray:
  """``[N, seq_len + 1]`` int32 token windows beginning at `starts`."""
  return data[np.asarray(starts)[:, None] + np.arange(seq_len + 1)].astype(np.int32)


def eval_windows(data: np.ndarray, seq_len: int, num: int) -> np.ndarray:
  """`num` evenly spaced windows ``[num, seq_len + 1]`` (deterministic evaluation set)."""
  _check_window(data, seq_len)
  starts = np.linspace(0, len(data) - seq_len - 1, num).astype(np.int64)
  return windows(data, starts, seq_len)


class TextSource:
  """Random windows of a byte text for `jaxlab.train.loop.train`.

  ``batch(step, rows)`` gives ``{"tokens": [rows, seq_len + 1]}`` int32: the
  model reads ``tokens[:, :-1]`` and predicts ``tokens[:, 1:]``. Window
  starts are drawn from ``(seed, step)``, so a batch is a pure function of
  its step and resuming is exact.
  """

  def __init__(self, data: np.ndarray, seq_len: int, batch_size: int, seed: int = 0):
    _check_window(data, seq_len)
    if batch_size <= 0:
      raise ValueError(f"batch_size must be positive, got {batch_size}")
    self.data = np.asarray(data, np.uint8)
    self.seq_len = seq_len
    self.batch_size = batch_size
    self.seed = seed

  def batch(self, step: int, rows: slice) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([self.seed, step])
    starts = rng.integers(0, len(self.data) - self.seq_len, size=self.batch_size)
    return {"tokens": windows(self.data, starts[rows], self.seq_len)}


def decode(tokens: np.ndarray) -> str:
  """Bytes -> text (invalid UTF-8 shown as the replacement character)."""
  return bytes(np.asarray(tokens, np.uint8).tolist()).decode("utf-8", errors="replace")


def encode(text: str) -> np.ndarray:
  """Text -> int32 byte tokens."""
  return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int32)
