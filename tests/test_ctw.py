"""CTW: a hand-computed tree probability, and its limits."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlab.data import markov
from jaxlab.universal.ctw import ctw_log_loss
from jaxlab.universal.kt import kt_log_loss


def test_depth1_by_hand():
  # x = 0 0 1 0 with the past padded by 0. Leaf "0" sees 0,0,1 (Pe = 1/16),
  # leaf "1" sees 0 (Pe = 1/2); the root sees 0,0,1,0 (Pe = 5/128).
  # Pw = 1/2 * 5/128 + 1/2 * (1/16 * 1/2) = 9/256.
  loss = ctw_log_loss(jnp.array([[0, 0, 1, 0]]), depth=1, alphabet=2)
  np.testing.assert_allclose(loss.sum(), np.log(256 / 9), rtol=1e-6)
  np.testing.assert_allclose(loss[0, :2], [np.log(2), np.log(4 / 3)], rtol=1e-6)


def test_depth0_is_kt_order0():
  x = np.random.default_rng(0).integers(0, 3, size=(3, 40))
  np.testing.assert_allclose(ctw_log_loss(jnp.asarray(x), depth=0, alphabet=3),
                             kt_log_loss(x, order=0, alphabet=3), rtol=1e-5)


def test_ctw_approaches_the_entropy_rate_of_an_order2_chain():
  P = markov.random_chain(jax.random.PRNGKey(3), order=2, alphabet=2)
  x = markov.sample(jax.random.PRNGKey(4), P, batch=4, length=2000)
  rate = float(markov.entropy_rate(P))
  ctw = float(ctw_log_loss(x, depth=4, alphabet=2)[:, 2:].mean())
  kt0 = float(kt_log_loss(np.asarray(x), order=0, alphabet=2)[:, 2:].mean())
  # Without knowing the order, CTW pays a small learning cost over the rate
  # and beats the memoryless model.
  assert rate < ctw < rate + 0.03
  assert ctw < kt0


def test_too_deep_tree_raises():
  with pytest.raises(ValueError, match="depth"):
    ctw_log_loss(jnp.zeros((1, 4), jnp.int32), depth=4, alphabet=256)
