"""A hidden-Markov source: a stationary ergodic source of infinite order.

Hidden states follow a first-order chain ``Q_HxH``; each emits a symbol from
``E_HxA``. The observed process is not Markov of any finite order, so an
order-k predictor keeps a gap while a universal one (CTW of growing depth, a
Transformer with enough context) can close it. The true-source predictor is
the forward filter; the entropy rate has no closed form and is estimated as
that predictor's mean log-loss on a long sample (`entropy_rate_estimate`).
"""
from __future__ import annotations

import chex
import jax
import jax.numpy as jnp

from jaxlab.data.markov import random_chain, stationary_distribution


def random_hmm(key: jax.Array, hidden: int, alphabet: int,
               alpha_transition: float = 0.5, alpha_emission: float = 0.5
               ) -> tuple[jax.Array, jax.Array]:
  """``(Q_HxH, E_HxA)`` with Dirichlet rows."""
  if hidden < 2:
    raise ValueError(f"need at least 2 hidden states, got {hidden}")
  q_key, e_key = jax.random.split(key)
  Q = random_chain(q_key, 1, hidden, alpha_transition)
  E = jax.vmap(lambda k: random_chain(k, 0, alphabet, alpha_emission))(
      jax.random.split(e_key, hidden))
  return Q, E


def sample(key: jax.Array, Q: jax.Array, E: jax.Array, batch: int,
           length: int) -> jax.Array:
  """``tokens_BxT`` with the hidden chain started from its stationary law."""
  chex.assert_equal_shape_prefix((Q, E), 1)
  pi_H = stationary_distribution(Q)

  def one(key):
    init_key, key = jax.random.split(key)
    h0 = jax.random.categorical(init_key, jnp.log(pi_H))

    def step(h, key_t):
      emit_key, move_key = jax.random.split(key_t)
      x = jax.random.categorical(emit_key, jnp.log(E[h]))
      return jax.random.categorical(move_key, jnp.log(Q[h])), x

    _, xs = jax.lax.scan(step, h0, jax.random.split(key, length))
    return xs.astype(jnp.int32)

  return jax.vmap(one)(jax.random.split(key, batch))


def true_log_loss(tokens_BxT: jax.Array, Q: jax.Array, E: jax.Array) -> jax.Array:
  """``loss_BxT`` (nats) of the Bayes filter ``-log P(x_t | x_<t)``."""
  chex.assert_rank(tokens_BxT, 2)
  pi_H = stationary_distribution(Q)

  def one(xs):
    def step(belief_H, x):
      joint_H = belief_H * E[:, x]
      p = joint_H.sum()
      return (joint_H / p) @ Q, -jnp.log(p)

    _, loss_T = jax.lax.scan(step, pi_H, xs)
    return loss_T

  return jax.vmap(one)(tokens_BxT)


def entropy_rate_estimate(key: jax.Array, Q: jax.Array, E: jax.Array,
                          batch: int = 16, length: int = 4096) -> jax.Array:
  """Entropy rate (nats) estimated by the filter's log-loss on the second
  half of long samples (the first half lets the filter forget its start)."""
  loss_BxT = true_log_loss(sample(key, Q, E, batch, length), Q, E)
  return loss_BxT[:, length // 2:].mean()
