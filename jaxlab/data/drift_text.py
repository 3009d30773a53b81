"""Generated review sentences with temporal drift across environments.

Each environment is a time period. A sentence has a binary label and eight
words: one sentiment word, one slang word, one topic word and fillers, in a
random order. The three cue words relate to the label differently:

- the sentiment word ("good"/"bad", ...) agrees with the label with
  probability 1 - `cue_noise` in every period: the invariant feature, too
  noisy alone (75 %);
- the slang word ("sick", "wicked" vs "lame", "basic") agrees with the label
  with probability 1 - `slang_flip`: its meaning drifted, reversed in the old
  periods and positive in the recent ones and the test period. It is
  invariant only within the recent partition;
- the topic word ("sports", "cinema" vs "politics", "finance") agrees with
  probability 1 - `topic_flip`, strongly in training and reversed at test:
  the spurious cue.

ERM leans on the topic; IRM over all periods must drop both the topic and
the slang and is left with the noisy sentiment; P-IRM on the recent periods
(the partition nearest the test period in time) keeps the slang. Sentences
are drawn afresh from ``(seed, step)`` at every step, so no model can
memorise them.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from jaxlab.models.classifiers import PAD

POSITIVE = ("good", "great", "nice", "superb")
NEGATIVE = ("bad", "awful", "poor", "dull")
SLANG_POS = ("sick", "wicked")
SLANG_NEG = ("lame", "basic")
TOPIC_POS = ("sports", "cinema")
TOPIC_NEG = ("politics", "finance")
FILLERS = ("the", "a", "movie", "show", "was", "really", "quite", "today",
           "i", "think", "it", "this")
VOCAB = ("<pad>",) + POSITIVE + NEGATIVE + SLANG_POS + SLANG_NEG + TOPIC_POS \
    + TOPIC_NEG + FILLERS
WORD_ID = {w: i for i, w in enumerate(VOCAB)}
SENTENCE_LENGTH = 8
assert VOCAB[PAD] == "<pad>"


@dataclasses.dataclass(frozen=True)
class Period:
  """One environment: a period with its slang and topic flip probabilities."""
  name: str
  slang_flip: float
  topic_flip: float
  meta: str = ""

  def __post_init__(self):
    for field in ("slang_flip", "topic_flip"):
      v = getattr(self, field)
      if not 0.0 <= v <= 1.0:
        raise ValueError(f"{field} of period {self.name!r} must be in [0, 1], "
                         f"got {v}")


def default_periods() -> tuple[tuple[Period, ...], Period]:
  """Four training periods (two old, two recent) and the test period."""
  train = (Period("1990", 0.9, 0.1, "old"), Period("2000", 0.9, 0.2, "old"),
           Period("2005", 0.1, 0.05, "recent"), Period("2010", 0.1, 0.35, "recent"))
  return train, Period("2015", 0.1, 0.9, "test")


def _ids(words: Sequence[str]) -> np.ndarray:
  return np.asarray([WORD_ID[w] for w in words], np.int32)


def _check(periods: Sequence[Period], per_period: int) -> None:
  if not periods or per_period <= 0:
    raise ValueError(f"need periods and per_period > 0, got {len(periods)} "
                     f"periods and per_period={per_period}")


def sample(periods: Sequence[Period], per_period: int, rng: np.random.Generator,
           cue_noise: float = 0.25) -> dict[str, np.ndarray]:
  """``{"tokens": [N, 8] int32, "y": [N] float32, "env": [N] int32}``."""
  _check(periods, per_period)
  env = np.repeat(np.arange(len(periods), dtype=np.int32), per_period)
  n = len(env)
  slang_flip = np.asarray([p.slang_flip for p in periods])[env]
  topic_flip = np.asarray([p.topic_flip for p in periods])[env]
  y = rng.random(n) < 0.5

  def cue(flip_N, pos, neg):
    agree = np.logical_xor(y, rng.random(n) < flip_N)
    return np.where(agree, rng.choice(_ids(pos), n), rng.choice(_ids(neg), n))

  words_NxL = np.concatenate([
      cue(np.full(n, cue_noise), POSITIVE, NEGATIVE)[:, None],
      cue(slang_flip, SLANG_POS, SLANG_NEG)[:, None],
      cue(topic_flip, TOPIC_POS, TOPIC_NEG)[:, None],
      rng.choice(_ids(FILLERS), (n, SENTENCE_LENGTH - 3))], axis=1)
  order_NxL = np.argsort(rng.random((n, SENTENCE_LENGTH)), axis=1)
  tokens = np.take_along_axis(words_NxL, order_NxL, axis=1).astype(np.int32)
  return {"tokens": tokens, "y": y.astype(np.float32), "env": env}


def decode(tokens_L: Sequence[int]) -> str:
  return " ".join(VOCAB[int(t)] for t in tokens_L if int(t) != PAD)


class DriftText:
  """A loop `DataSource`: `per_period` fresh sentences per period each step."""

  def __init__(self, periods: Sequence[Period], per_period: int, seed: int = 0,
               cue_noise: float = 0.25):
    _check(periods, per_period)
    self.periods = tuple(periods)
    self.per_period = per_period
    self.seed = seed
    self.cue_noise = cue_noise
    self.batch_size = per_period * len(periods)

  @property
  def env_names(self) -> tuple[str, ...]:
    return tuple(p.name for p in self.periods)

  def batch(self, step: int, rows: slice = slice(None)) -> dict[str, np.ndarray]:
    full = sample(self.periods, self.per_period,
                  np.random.default_rng([self.seed, step]), self.cue_noise)
    return {k: v[rows] for k, v in full.items()}
