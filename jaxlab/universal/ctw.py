"""Context tree weighting (Willems, Shtarkov and Tjalkens 1995) of depth D.

CTW mixes, with the prior that halves the weight at every split, all
context-tree sources of depth <= D, each context using a KT estimator.
Its log-loss is within ``(model cost) + (A-1)/2 log n`` per leaf of the best
tree model in hindsight, without being told the order.

Implementation: one `lax.scan` over time per row (vmapped over the batch).
Each node of the full A-ary tree stores its symbol counts and
``beta = log Pe - sum_children log Pw`` (Willems' beta), so the conditional
probability of the next symbol is a bottom-up mixture along the context path,

  ``p_D = Pe_D(x)``,  ``p_d = w_d Pe_d(x) + (1 - w_d) p_{d+1}``,
  ``w_d = sigmoid(beta_d)`` (the posterior weight of "stop at depth d"),

and only per-step increments are ever added: no block probability is
formed, so float32 stays exact to ~1e-6 nats/symbol on long sequences.
The past before the sequence starts is padded with symbol 0 (the usual
convention), so CTW predicts every position, including the first D.
"""
from __future__ import annotations

import functools

import chex
import jax
import jax.numpy as jnp

from jaxlab.data.markov import contexts

MAX_TREE_ENTRIES = 1 << 24   # nodes x alphabet; beyond this the tree is too big


def num_nodes(depth: int, alphabet: int) -> int:
  """Nodes of the full A-ary tree of depth D (root at depth 0)."""
  return sum(alphabet ** d for d in range(depth + 1))


def _check(depth: int, alphabet: int) -> None:
  if depth < 0 or alphabet < 2:
    raise ValueError(f"need depth >= 0 and alphabet >= 2; got depth={depth}, "
                     f"alphabet={alphabet}")
  if num_nodes(depth, alphabet) * alphabet > MAX_TREE_ENTRIES:
    raise ValueError(
        f"a depth-{depth} tree over {alphabet} symbols has "
        f"{num_nodes(depth, alphabet)} nodes; at most {MAX_TREE_ENTRIES} "
        f"node-symbol counts are allowed (lower the depth)")


def _row_log_loss(tokens_T: jax.Array, path_TxN: jax.Array, depth: int,
                  alphabet: int, alpha: float) -> jax.Array:
  counts = jnp.zeros((num_nodes(depth, alphabet), alphabet), jnp.float32)
  beta = jnp.zeros((counts.shape[0],), jnp.float32)

  def step(carry, inputs):
    counts, beta = carry
    x, path = inputs                              # path[d]: node at depth d
    c_DxA = counts[path]
    pe = (c_DxA[:, x] + alpha) / (c_DxA.sum(-1) + alphabet * alpha)
    log_pe = jnp.log(pe)
    p = pe[depth]
    delta = log_pe[depth]                         # change of the child's log Pw
    for d in range(depth - 1, -1, -1):
      b_old = beta[path[d]]
      p = jax.nn.sigmoid(b_old) * pe[d] + jax.nn.sigmoid(-b_old) * p
      b_new = b_old + log_pe[d] - delta
      delta = delta + jax.nn.softplus(b_new) - jax.nn.softplus(b_old)
      beta = beta.at[path[d]].set(b_new)
    counts = counts.at[path, x].add(1.0)
    return (counts, beta), -jnp.log(p)

  _, loss_T = jax.lax.scan(step, (counts, beta), (tokens_T, path_TxN))
  return loss_T


@functools.partial(jax.jit, static_argnames=("depth", "alphabet", "alpha"))
def ctw_log_loss(tokens_BxT: jax.Array, depth: int, alphabet: int,
                 alpha: float = 0.5) -> jax.Array:
  """``loss_BxT`` (nats): sequential CTW log-loss of each row on its own.

  `alpha` is the add-alpha parameter of every node's estimator (KT: 1/2).
  """
  chex.assert_rank(tokens_BxT, 2)
  _check(depth, alphabet)
  offsets = jnp.array([num_nodes(d - 1, alphabet) if d else 0
                       for d in range(depth + 1)])
  path_BxTxN = jnp.stack([contexts(tokens_BxT, d, alphabet)
                          for d in range(depth + 1)], -1) + offsets
  return jax.vmap(lambda x, p: _row_log_loss(x, p, depth, alphabet, alpha))(
      tokens_BxT, path_BxTxN)
