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


def test_entropy_rate_estimate_is_below_the_order0_entropy():
  Q, E = hmm.random_hmm(jax.random.PRNGKey(1), hidden=3, alphabet=2)
  rate = float(hmm.entropy_rate_estimate(jax.random.PRNGKey(2), Q, E,
                                         batch=4, length=1024))
  marginal = markov.stationary_distribution(Q) @ E
  assert 0 < rate < -float((marginal * jnp.log(marginal)).sum()) + 1e-3
