"""The plan-first arithmetic task: exact traces, slip rates, parsing."""
import numpy as np
import pytest

from jaxlab.data import plan_arith as pa

V = pa.Vocab(16)


def test_every_approach_reaches_the_answer_without_slips():
  rng = np.random.default_rng(0)
  probs = pa.make_problems(rng, 300, V.modulus)
  truth = pa.answers(probs, V.modulus)
  for z in range(pa.NUM_APPROACHES):
    trace, correct = pa.teacher_traces(rng, probs, np.full(300, z),
                                       np.zeros((3, 3)), V)
    assert trace.shape == (300, V.trace_len) and correct.all()
    approach, answer = pa.parse(trace, V)
    np.testing.assert_array_equal(approach, z)
    np.testing.assert_array_equal(answer, truth)


def test_hand_checked_trace():
  probs = {"family": np.array([0]), "x": np.array([[3, 5, 7, 9]])}
  trace, correct = pa.teacher_traces(np.random.default_rng(0), probs,
                                     np.array([1]), np.zeros((3, 3)), V)
  plan, a1, s = V.plan, int(V.approach(1)), V.sep
  assert trace[0].tolist() == [plan, a1, s, 3, 5, 8, s, 7, 9, 0, s, 8, 0, 8, s,
                               V.ans, 8, V.eos]
  assert pa.prompts(probs, V)[0].tolist() == [V.bos, int(V.family(0)), 3, 5, 7, 9, V.eq]


def test_slip_rates_make_approaches_differ():
  rng = np.random.default_rng(1)
  probs = pa.make_problems(rng, 4000, V.modulus, families=(0,))
  rates = pa.default_error_rates()
  acc = [pa.teacher_traces(rng, probs, np.full(4000, z), rates, V)[1].mean()
         for z in range(3)]
  assert acc[0] == pytest.approx(0.97 ** 3, abs=0.02)
  assert acc[1] == pytest.approx(0.75 ** 3, abs=0.03)   # addition: slips never cancel


def test_training_set_mixes_traces_and_verification():
  rng = np.random.default_rng(2)
  data = pa.training_set(rng, 2000, V, np.eye(3), pa.default_error_rates(), 0.3)
  tokens, mask = data["tokens"], data["mask"]
  assert tokens.shape == (2000, V.prompt_len + V.trace_len)
  approach, _ = pa.parse(tokens[:, V.prompt_len:], V)
  np.testing.assert_array_equal(approach, tokens[:, 1] - V.family(0))  # eye: z = f
  verify = tokens[:, V.prompt_len + pa.PREFIX_TOKENS] == V.query
  assert 0.25 < verify.mean() < 0.35
  assert set(np.unique(tokens[verify, V.prompt_len + pa.PREFIX_TOKENS + 1])) == {V.yes, V.no}
  assert mask[:, :V.prompt_len].sum() == 0 and (mask[tokens == V.pad] == 0).all()
  assert (mask[tokens == V.query] == 0).all()           # answered, never asked
  assert (mask[verify, V.prompt_len + pa.PREFIX_TOKENS + 1] == 1).all()
  with pytest.raises(ValueError, match="approach_probs"):
    pa.training_set(rng, 4, V, np.ones((2, 3)), pa.default_error_rates())
