"""Markov sources: the exact entropy rate against hand-computed values,
sampling statistics, the in-context sampler and the true-source loss."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlab.data import markov


def _h(p):
  p = np.asarray(p, np.float64)
  return float(-(p * np.log(p)).sum())


def test_entropy_rate_order1_by_hand():
  P = jnp.array([[0.9, 0.1], [0.2, 0.8]])
  # pi = (2/3, 1/3) solves pi P = pi; H = sum_s pi(s) H(P[s]).
  np.testing.assert_allclose(markov.stationary_distribution(P), [2 / 3, 1 / 3],
                             atol=1e-6)
  expected = 2 / 3 * _h([0.9, 0.1]) + 1 / 3 * _h([0.2, 0.8])
  np.testing.assert_allclose(markov.entropy_rate(P), expected, rtol=1e-6)
  assert abs(expected - 0.383523) < 1e-6


def test_entropy_rate_order0_and_order2():
  np.testing.assert_allclose(markov.entropy_rate(jnp.array([0.25, 0.75])),
                             _h([0.25, 0.75]), rtol=1e-6)
  # An order-2 chain whose next symbol depends only on the latest symbol is
  # the order-1 chain above: same entropy rate.
  P1 = jnp.array([[0.9, 0.1], [0.2, 0.8]])
  P2 = jnp.broadcast_to(P1[None], (2, 2, 2))
  np.testing.assert_allclose(markov.entropy_rate(P2), markov.entropy_rate(P1),
                             rtol=1e-5)
  # Deterministic alternation 0101...: rate 0 (0 log 0 = 0).
  np.testing.assert_allclose(markov.entropy_rate(jnp.array([[0., 1.], [1., 0.]])),
                             0.0, atol=1e-7)


def test_sample_matches_entropy_rate():
  P = markov.random_chain(jax.random.PRNGKey(0), order=2, alphabet=3)
  assert P.shape == (3, 3, 3)
  np.testing.assert_allclose(P.sum(-1), 1.0, rtol=1e-5)
  tokens = markov.sample(jax.random.PRNGKey(1), P, batch=32, length=1000)
  assert tokens.shape == (32, 1000) and tokens.dtype == jnp.int32
  loss = markov.true_log_loss(tokens, markov.flat_transitions(P)[None])
  # The true-source log-loss of a stationary sample estimates the rate.
  np.testing.assert_allclose(loss[:, 2:].mean(), markov.entropy_rate(P),
                             atol=0.02)


def test_in_context_rows_have_their_own_chain():
  tokens, P = markov.sample_in_context(jax.random.PRNGKey(0), batch=6,
                                       length=20, order=1, alphabet=2)
  assert tokens.shape == (6, 20) and P.shape == (6, 2, 2)
  assert not np.allclose(P[0], P[1])
  loss = markov.true_log_loss(tokens, P)
  np.testing.assert_allclose(loss[:, 0], np.log(2))   # no context at t = 0
  manual = -np.log(P[2, tokens[2, 4], tokens[2, 5]])
  np.testing.assert_allclose(loss[2, 5], manual, rtol=1e-6)


def test_step_source_is_a_function_of_the_step():
  source = markov.StepSource(
      jax.jit(lambda k: {"tokens": markov.sample_in_context(k, 4, 8, 1, 2)[0]}))
  a, b = source.batch(3, slice(None)), source.batch(3, slice(2, 4))
  np.testing.assert_array_equal(a["tokens"][2:4], b["tokens"])
  assert not np.array_equal(a["tokens"], source.batch(4, slice(None))["tokens"])


@pytest.mark.parametrize("shape", [(2, 3), ()])
def test_bad_transition_tensor_raises(shape):
  with pytest.raises(ValueError, match="shape"):
    markov.entropy_rate(jnp.ones(shape))


def test_bad_order_raises():
  with pytest.raises(ValueError, match="order"):
    markov.random_chain(jax.random.PRNGKey(0), order=-1, alphabet=2)


@pytest.mark.parametrize("alpha", [0.5, 1.5, 0.7])
def test_random_chain_rows_have_the_dirichlet_moments(alpha):
  # Dirichlet(alpha) over A symbols: mean 1/A, var (A-1) / (A^2 (A alpha + 1)).
  A = 3
  rows = markov.random_chain(jax.random.PRNGKey(0), order=7, alphabet=A,
                             alpha=alpha).reshape(-1, A)
  np.testing.assert_allclose(rows.mean(), 1 / A, atol=1e-6)
  np.testing.assert_allclose(rows.var(0), (A - 1) / (A ** 2 * (A * alpha + 1)),
                             rtol=0.1)
