"""The hidden-Markov source and its forward-filter predictor."""
import jax
import jax.numpy as jnp
import numpy as np

from jaxlab.data import hmm, markov


def test_filter_matches_markov_when_emissions_are_identity():
  # Emitting the hidden state makes the source the Markov chain Q itself.
  Q = jnp.array([[0.9, 0.1], [0.2, 0.8]])
  tokens = hmm.sample(jax.random.PRNGKey(0), Q, jnp.eye(2), batch=4, length=50)
  got = hmm.true_log_loss(tokens, Q, jnp.eye(2))
  want = markov.true_log_loss(tokens, Q[None])
  np.testing.assert_allclose(got[:, 1:], want[:, 1:], rtol=1e-5)
  # First symbol: the stationary marginal (2/3, 1/3).
  np.testing.assert_allclose(got[:, 0], -np.log(np.where(tokens[:, 0] == 0, 2 / 3, 1 / 3)),
                             rtol=1e-5)


def test_entropy_rate_estimate_lies_between_its_bounds():
  # A sticky 2-state HMM with noisy emissions: the symbols are uniform
  # (H(X_0) = log 2), memory lowers the rate, and the emission noise
  # H(X_t | S_t) = h(0.1) bounds it from below.
  Q = jnp.array([[0.95, 0.05], [0.05, 0.95]])
  E = jnp.array([[0.9, 0.1], [0.1, 0.9]])
  rate = float(hmm.entropy_rate_estimate(jax.random.PRNGKey(2), Q, E,
                                         batch=8, length=2048))
  h_noise = -(0.9 * np.log(0.9) + 0.1 * np.log(0.1))
  assert h_noise < rate < np.log(2) - 0.05


def test_random_hmm_rows_are_distributions():
  Q, E = hmm.random_hmm(jax.random.PRNGKey(1), hidden=3, alphabet=4)
  assert Q.shape == (3, 3) and E.shape == (3, 4)
  np.testing.assert_allclose(Q.sum(1), 1, rtol=1e-5)
  np.testing.assert_allclose(E.sum(1), 1, rtol=1e-5)
