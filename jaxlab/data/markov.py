"""Order-k Markov sources over a finite alphabet, drawn and sampled in JAX.

A chain of order k over an alphabet of size A is a transition tensor
``P[c_1, ..., c_k, next]`` (``c_k`` is the most recent symbol) of shape
``(A,) * (k + 1)``. Internally it is the first-order chain on the ``A**k``
context states ``s = c_1 A^(k-1) + ... + c_k``, flattened to ``P_SxA``; order
0 (an i.i.d. source) is the one-state case, so every function here serves all
orders with one code path.

Three ways to use a chain:

- a fixed stationary source (`sample`, with the first k symbols drawn from
  the stationary distribution), whose exact entropy rate is `entropy_rate`;
- the in-context setting (`sample_in_context`): every sequence has its own
  chain with Dirichlet(alpha) rows, so a predictor must infer the source from
  the sequence itself. Its first k symbols are uniform, which makes the
  add-alpha counting predictor exactly Bayes-optimal at every later position;
- the true-source predictor (`true_log_loss`), the limit every universal
  predictor approaches.

Log-losses are per position, ``loss_BxT`` in nats. Positions without a
full context (t < k) get ``log A`` (a uniform guess): experiments average
over positions ``t >= k``, where every predictor sees a full context.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import chex
import jax
import jax.numpy as jnp
import numpy as np


def _check_order_alphabet(order: int, alphabet: int) -> None:
  if order < 0:
    raise ValueError(f"order must be >= 0, got {order}")
  if alphabet < 2:
    raise ValueError(f"alphabet size must be >= 2, got {alphabet}")


def _order_alphabet(P: jax.Array) -> tuple[int, int]:
  """(k, A) of a transition tensor of shape (A,) * (k + 1)."""
  if P.ndim < 1 or len(set(P.shape)) != 1:
    raise ValueError(
        f"a transition tensor has shape (A,)*(k+1) (e.g. (2, 2) for order 1, "
        f"binary); got shape {P.shape}")
  return P.ndim - 1, P.shape[0]


def flat_transitions(P: jax.Array) -> jax.Array:
  """``P[c_1..c_k, next]`` -> ``P_SxA`` over the ``S = A**k`` context states."""
  k, A = _order_alphabet(P)
  return P.reshape(A ** k, A)


def random_chain(key: jax.Array, order: int, alphabet: int,
                 alpha: float = 0.5) -> jax.Array:
  """A transition tensor whose rows are i.i.d. Dirichlet(alpha, ..., alpha)."""
  _check_order_alphabet(order, alphabet)
  if alpha <= 0:
    raise ValueError(f"Dirichlet alpha must be > 0, got {alpha}")
  shape = (alphabet,) * (order + 1)
  if float(2 * alpha).is_integer() and 2 * alpha <= 8:
    # Gamma(m/2, 1) = chi^2_m / 2: normalised sums of m squared normals are
    # Dirichlet(m/2) draws. Same law, but it compiles in a fraction of the
    # time of the gamma rejection sampler (which dominated small runs on CPU).
    z = jax.random.normal(key, (round(2 * alpha),) + shape)
    rows = (z ** 2).sum(0)
    rows = rows / rows.sum(-1, keepdims=True)
  else:
    rows = jax.random.dirichlet(key, jnp.full((alphabet,), alpha), shape=shape[:-1])
  # float32 Dirichlet draws with small alpha can underflow to exact zeros;
  # a floor keeps every log-loss finite without visibly changing the chain.
  rows = jnp.maximum(rows, 1e-6)
  return rows / rows.sum(-1, keepdims=True)


def state_transition_matrix(P: jax.Array) -> jax.Array:
  """The ``S x S`` first-order chain on context states (S = A**k).

  From state ``(c_1..c_k)`` the symbol x leads to ``(c_2..c_k, x)``, i.e.
  ``s' = (s * A + x) mod S``.
  """
  k, A = _order_alphabet(P)
  P_SxA = flat_transitions(P)
  S = A ** k
  nxt_SxA = (jnp.arange(S)[:, None] * A + jnp.arange(A)[None, :]) % S
  M_SxS = jnp.zeros((S, S), P.dtype)
  return M_SxS.at[jnp.arange(S)[:, None], nxt_SxA].add(P_SxA)


def stationary_distribution(P: jax.Array) -> jax.Array:
  """The stationary distribution over the ``A**k`` context states.

  Solves ``pi M = pi, sum(pi) = 1`` directly (one linear solve), which is
  exact up to float rounding for an irreducible chain (any chain with
  positive transitions, e.g. every Dirichlet draw).
  """
  M_SxS = state_transition_matrix(P)
  S = M_SxS.shape[0]
  system = (jnp.eye(S, dtype=M_SxS.dtype) - M_SxS.T).at[-1].set(1.0)
  rhs = jnp.zeros((S,), M_SxS.dtype).at[-1].set(1.0)
  return jnp.linalg.solve(system, rhs)


def _entropy(p: jax.Array) -> jax.Array:
  """Shannon entropy (nats) over the last axis, with 0 log 0 = 0."""
  return -jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0), -1)


def entropy_rate(P: jax.Array) -> jax.Array:
  """Exact entropy rate (nats/symbol) of the stationary order-k chain ``P``.

  ``H = sum_s pi(s) H(P[s, :])``: the conditional entropy of the next symbol
  given its k predecessors under the stationary distribution, which for an
  order-k chain equals ``lim H(X_n | X_<n)``.
  """
  return jnp.dot(stationary_distribution(P), _entropy(flat_transitions(P)))


def _symbols_of_state(state: jax.Array, order: int, alphabet: int) -> jax.Array:
  """The k symbols ``c_1..c_k`` of a context state (oldest first)."""
  powers = alphabet ** jnp.arange(order - 1, -1, -1)
  return (state // powers) % alphabet


def _sample_from(key: jax.Array, P: jax.Array, length: int,
                 initial_S: jax.Array) -> jax.Array:
  """One sequence ``[length]``: its first k symbols are a context state drawn
  from `initial_S`, the rest follow the chain."""
  k, A = _order_alphabet(P)
  if length <= k:
    raise ValueError(f"length must exceed the order {k}, got {length}")
  P_SxA = flat_transitions(P)
  init_key, step_key = jax.random.split(key)
  state = jax.random.categorical(init_key, jnp.log(initial_S))

  def step(s, key_t):
    x = jax.random.categorical(key_t, jnp.log(P_SxA[s]))
    return (s * A + x) % (A ** k), x

  _, xs = jax.lax.scan(step, state, jax.random.split(step_key, length - k))
  return jnp.concatenate([_symbols_of_state(state, k, A), xs]).astype(jnp.int32)


def sample(key: jax.Array, P: jax.Array, batch: int, length: int) -> jax.Array:
  """``tokens_BxT`` from the stationary chain ``P`` (a stationary ergodic source)."""
  pi_S = stationary_distribution(P)
  return jax.vmap(lambda k: _sample_from(k, P, length, pi_S))(
      jax.random.split(key, batch))


def sample_in_context(key: jax.Array, batch: int, length: int, order: int,
                      alphabet: int, alpha: float = 0.5
                      ) -> tuple[jax.Array, jax.Array]:
  """``(tokens_BxT, P_BxSxA)``: each row from its own freshly drawn chain.

  The first `order` symbols are uniform, so the posterior over a row's chain
  after t symbols is Dirichlet(alpha + counts) per context and add-alpha
  counting is the Bayes-optimal predictor.
  """
  _check_order_alphabet(order, alphabet)
  S = alphabet ** order
  uniform_S = jnp.full((S,), 1.0 / S)

  def one(k):
    chain_key, seq_key = jax.random.split(k)
    P = random_chain(chain_key, order, alphabet, alpha)
    return _sample_from(seq_key, P, length, uniform_S), flat_transitions(P)

  return jax.vmap(one)(jax.random.split(key, batch))


def contexts(tokens_BxT: jax.Array, order: int, alphabet: int) -> jax.Array:
  """``ctx_BxT``: the context state of the k symbols before each position
  (0 where t < k; those positions have no full context)."""
  B, T = tokens_BxT.shape
  ctx = jnp.zeros((B, T), jnp.int32)
  for j in range(1, order + 1):   # symbol t-j carries weight A^(j-1)
    shifted = jnp.pad(tokens_BxT, ((0, 0), (j, 0)))[:, :T]
    ctx = ctx + shifted * alphabet ** (j - 1)
  return ctx


def true_log_loss(tokens_BxT: jax.Array, P_BxSxA: jax.Array) -> jax.Array:
  """``loss_BxT`` (nats) of the true-source predictor ``-log P(x_t | ctx_t)``.

  `P_BxSxA` holds each row's chain (broadcast one chain with ``P[None]``).
  Positions t < k get ``log A``.
  """
  chex.assert_rank(tokens_BxT, 2)
  chex.assert_rank(P_BxSxA, 3)
  B, T = tokens_BxT.shape
  S, A = P_BxSxA.shape[1:]
  order = round(np.log(S) / np.log(A))
  if A ** order != S:
    raise ValueError(f"P has {S} context states, not a power of the alphabet {A}")
  P_BxSxA = jnp.broadcast_to(P_BxSxA, (B, S, A))
  ctx = contexts(tokens_BxT, order, A)
  p = P_BxSxA[jnp.arange(B)[:, None], ctx, tokens_BxT]
  return jnp.where(jnp.arange(T)[None] >= order, -jnp.log(p), jnp.log(A))


@dataclasses.dataclass(frozen=True)
class StepSource:
  """A `DataSource` for the training loop from a keyed sampler.

  Global batch `step` is ``sampler(fold_in(key(seed), step))`` (a dict of
  arrays with a leading batch axis), so the data position is the step and
  resuming is exact. `sampler` should be jitted; it is called once per step.
  """
  sampler: Callable[[jax.Array], dict]
  seed: int = 0

  def batch(self, step: int, rows: slice) -> dict:
    key = jax.random.fold_in(jax.random.PRNGKey(self.seed), step)
    return {k: np.asarray(v)[rows] for k, v in self.sampler(key).items()}
