"""KT prediction: hand-computed log-losses and the regret bound."""
import math

import numpy as np
import pytest
from scipy.special import gammaln

from jaxlab.universal.kt import kt_log_loss


def test_order1_by_hand():
  # x = 0 0 1 0 1 ; t=0 has no context; ctx 0 sees {}, {0}, {0,1}; ctx 1 sees {}.
  loss = kt_log_loss(np.array([[0, 0, 1, 0, 1]]), order=1, alphabet=2)
  np.testing.assert_allclose(loss[0], np.log([2, 2, 4, 2, 2]))


def test_order0_ternary_and_rows_are_independent():
  # add-1/2 over 3 symbols: 0 -> 1/3, then 0 -> 1.5/2.5, then 2 -> 0.5/3.5.
  x = np.array([[0, 0, 2], [2, 2, 2]])
  loss = kt_log_loss(x, order=0, alphabet=3)
  np.testing.assert_allclose(loss[0], -np.log([1 / 3, 1.5 / 2.5, 0.5 / 3.5]))
  np.testing.assert_allclose(loss[1], -np.log([1 / 3, 1.5 / 2.5, 2.5 / 3.5]))


def test_sequential_loss_equals_block_probability():
  rng = np.random.default_rng(0)
  x = rng.integers(0, 4, size=(1, 300))
  total = kt_log_loss(x, order=0, alphabet=4, alpha=0.5).sum()
  n = np.bincount(x[0], minlength=4)
  # KT block probability: prod_a Gamma(n_a + 1/2) / Gamma(1/2)^A * Gamma(A/2) / Gamma(n + A/2).
  log_block = (gammaln(n + 0.5).sum() - 4 * gammaln(0.5) + gammaln(2.0)
               - gammaln(n.sum() + 2.0))
  np.testing.assert_allclose(total, -log_block, rtol=1e-10)


@pytest.mark.parametrize("alphabet,p", [(2, [0.9, 0.1]), (2, [1.0, 0.0]),
                                        (3, [0.6, 0.3, 0.1])])
def test_regret_under_the_kt_bound_on_iid_sources(alphabet, p):
  """Regret against the best i.i.d. code in hindsight is at most
  (A-1) (1/2 log2 n + 1) bits: 1/2 log n + 1 per free parameter."""
  rng = np.random.default_rng(1)
  for n in (10, 100, 2000):
    x = rng.choice(alphabet, size=(20, n), p=p)
    code_bits = kt_log_loss(x, order=0, alphabet=alphabet).sum(1) / math.log(2)
    counts = np.stack([np.bincount(r, minlength=alphabet) for r in x])
    freq = counts / n
    ml_bits = -(counts * np.log2(np.where(freq > 0, freq, 1.0))).sum(1)
    regret = code_bits - ml_bits
    bound = (alphabet - 1) * (0.5 * math.log2(n) + 1)
    assert (regret <= bound).all(), (n, regret.max(), bound)
    assert (regret > 0).all()   # and KT never beats the hindsight optimum


def test_bad_tokens_raise():
  with pytest.raises(ValueError, match=r"\[0, 2\)"):
    kt_log_loss(np.array([[0, 2]]), order=0, alphabet=2)


def test_prior_counts_continue_the_training_sequence():
  # Order-0 KT fitted on `train` and run on `test` = KT on train + test,
  # scored on test's positions.
  from jaxlab.universal.kt import context_counts
  rng = np.random.default_rng(2)
  train, test = rng.integers(0, 3, (1, 50)), rng.integers(0, 3, (1, 30))
  joint = kt_log_loss(np.concatenate([train, test], 1), 0, 3)[:, 50:]
  fitted = kt_log_loss(test, 0, 3, prior_counts_SxA=context_counts(train, 0, 3))
  np.testing.assert_allclose(fitted, joint)
  counts = context_counts(np.array([[0, 1, 1, 0, 1]]), 1, 2)
  np.testing.assert_array_equal(counts, [[0, 2], [1, 1]])
