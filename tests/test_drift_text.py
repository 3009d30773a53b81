"""Generated sentences with temporal drift."""
import numpy as np
import pytest

from jaxlab.data import drift_text as dt


def _agree(batch, pos, neg):
  y = batch["y"].astype(bool)
  has_pos = np.isin(batch["tokens"], [dt.WORD_ID[w] for w in pos]).any(1)
  has_neg = np.isin(batch["tokens"], [dt.WORD_ID[w] for w in neg]).any(1)
  assert np.all(has_pos ^ has_neg)          # exactly one cue word per sentence
  return np.mean(has_pos == y)


def test_cue_rates_follow_each_period():
  periods = (dt.Period("old", 0.9, 0.1), dt.Period("new", 0.1, 0.3))
  b = dt.sample(periods, 4000, np.random.default_rng(0))
  assert b["tokens"].shape == (8000, dt.SENTENCE_LENGTH)
  for e, p in enumerate(periods):
    rows = {k: v[b["env"] == e] for k, v in b.items()}
    assert _agree(rows, dt.POSITIVE, dt.NEGATIVE) == pytest.approx(0.75, abs=0.03)
    assert _agree(rows, dt.SLANG_POS, dt.SLANG_NEG) == pytest.approx(1 - p.slang_flip, abs=0.03)
    assert _agree(rows, dt.TOPIC_POS, dt.TOPIC_NEG) == pytest.approx(1 - p.topic_flip, abs=0.03)


def test_source_is_a_function_of_the_step():
  train, test = dt.default_periods()
  assert [p.meta for p in train] == ["old", "old", "recent", "recent"]
  assert test.topic_flip > 0.5 and test.slang_flip < 0.5
  src = dt.DriftText(train, 8, seed=1)
  np.testing.assert_array_equal(src.batch(3)["tokens"], src.batch(3)["tokens"])
  assert not np.array_equal(src.batch(3)["tokens"], src.batch(4)["tokens"])
  assert len(dt.decode(src.batch(0)["tokens"][0]).split()) == dt.SENTENCE_LENGTH


def test_bad_periods_raise():
  with pytest.raises(ValueError, match="slang_flip of period 'x' must be in"):
    dt.Period("x", 1.5, 0.1)
  with pytest.raises(ValueError, match="per_period=0"):
    dt.DriftText(dt.default_periods()[0], 0)
