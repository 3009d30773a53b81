"""Empirical NTK Gram matrices of any model, built block by block.

``Theta(x, x') = sum_p d f(x)/d p . d f(x')/d p``, traced over the output
axis. One jitted function computes a ``block x block`` tile; a Python loop
over tiles fills the Gram matrix on the host, so memory is one tile of
Jacobians (``block x num_params``) regardless of n: a few thousand points of
a width-1k network fit comfortably. Four engines compute the tile:

- ``"jacobian"``: contract per-example Jacobians (plain JAX, `jax.jacrev`);
- ``"ntvp"``: NTK-vector products, Theta v = J (J^T v), one vjp then one jvp
  per column of the tile (plain JAX; no Jacobian is materialised);
- ``"nt1"`` / ``"nt2"``: neural-tangents' implementations 1 and 2 (through
  `nt_compat`), the reference the plain-JAX engines are tested against.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import chex
import jax
import jax.numpy as jnp
import numpy as np

ApplyFn = Callable[[Any, jax.Array], jax.Array]   # (params, x_BxD) -> y_BxO
METHODS = ("jacobian", "ntvp", "nt1", "nt2")


def _jacobian_tile(apply_fn: ApplyFn, params, xa, xb):
  def jac(x):
    return jax.jacrev(lambda p: apply_fn(p, x))(params)   # leaves: (B, O, *shape)
  ja, jb = jac(xa), jac(xb)
  tiles = jax.tree.map(
      lambda a, b: jnp.einsum("aox,box->ab", a.reshape(a.shape[:2] + (-1,)),
                              b.reshape(b.shape[:2] + (-1,))), ja, jb)
  return sum(jax.tree.leaves(tiles))


def _ntvp_tile(apply_fn: ApplyFn, params, xa, xb):
  fb, vjp_b = jax.vjp(lambda p: apply_fn(p, xb), params)

  def column(cotangent_BxO):
    (direction,) = vjp_b(cotangent_BxO)                 # J_b^T v
    _, out = jax.jvp(lambda p: apply_fn(p, xa), (params,), (direction,))
    return out                                            # J_a J_b^T v: (A, O)

  num_b, num_out = fb.shape
  basis = jnp.eye(num_b * num_out, dtype=fb.dtype).reshape(-1, num_b, num_out)
  cols = jax.vmap(column)(basis)                          # (B*O, A, O)
  cols = cols.reshape(num_b, num_out, -1, num_out)
  return jnp.einsum("boao->ab", cols)


def _nt_tile(implementation: int):
  def tile(apply_fn: ApplyFn, params, xa, xb):
    from jaxlab.ntk.nt_compat import empirical_ntk_fn
    fn = empirical_ntk_fn(apply_fn, trace_axes=(-1,), implementation=implementation)
    return fn(xa, xb, params)
  return tile


_TILES = {"jacobian": _jacobian_tile, "ntvp": _ntvp_tile,
          "nt1": _nt_tile(1), "nt2": _nt_tile(2)}


@functools.partial(jax.jit, static_argnums=(0, 1))
def _tile(method: str, apply_fn: ApplyFn, params, xa, xb):
  """One Gram tile; jitted once per (method, apply_fn, shapes)."""
  return _TILES[method](apply_fn, params, xa, xb)


def _pad(x: np.ndarray, block: int) -> np.ndarray:
  extra = -len(x) % block
  return np.concatenate([x, np.repeat(x[-1:], extra, axis=0)]) if extra else x


def empirical_ntk(apply_fn: ApplyFn, params, x1_NxD, x2_MxD=None, *,
                  method: str = "jacobian", block_size: int = 256) -> np.ndarray:
  """The empirical NTK Gram matrix ``(N, M)`` (``x2=None``: ``x1`` against itself).

  `apply_fn(params, x_BxD) -> y_BxO`; outputs are summed over O (the trace).
  For ``x2=None`` only the upper tiles are computed and mirrored.
  """
  if method not in METHODS:
    raise ValueError(f"empirical NTK method {method!r} not in {METHODS}")
  if block_size < 1:
    raise ValueError(f"block_size must be positive, got {block_size}")
  chex.assert_rank(x1_NxD, 2)
  symmetric = x2_MxD is None
  x1 = np.asarray(x1_NxD)
  x2 = x1 if symmetric else np.asarray(x2_MxD)
  chex.assert_equal(x1.shape[1], x2.shape[1])
  n, m = len(x1), len(x2)
  b1, b2 = min(block_size, n), min(block_size, m)
  x1p, x2p = _pad(x1, b1), _pad(x2, b2)
  gram = np.zeros((len(x1p), len(x2p)), dtype=np.result_type(x1.dtype, np.float32))
  for i in range(0, len(x1p), b1):
    for j in range(i if symmetric else 0, len(x2p), b2):
      tile = np.asarray(_tile(method, apply_fn, params, x1p[i:i + b1], x2p[j:j + b2]))
      gram[i:i + b1, j:j + b2] = tile
      if symmetric and j != i:
        gram[j:j + b2, i:i + b1] = tile.T
  return gram[:n, :m]


def ntk_max_eigenvalue(apply_fn: ApplyFn, params, x_NxD, *, num_iters: int = 50,
                       seed: int = 0) -> float:
  """Largest eigenvalue of Theta / n on x, by power iteration with
  NTK-vector products (no Gram matrix): what sets the largest stable
  gradient-descent step, 2 / lambda_max, for the loss mean((f - y)^2) / 2."""
  x = jnp.asarray(x_NxD)
  n = x.shape[0]
  out, vjp = jax.vjp(lambda p: apply_fn(p, x), params)

  @jax.jit
  def iterate(v):
    def step(v, _):
      (direction,) = vjp(v)
      _, w = jax.jvp(lambda p: apply_fn(p, x), (params,), (direction,))
      w = w / n
      return w / jnp.linalg.norm(w), jnp.vdot(v, w)
    return jax.lax.scan(step, v, None, length=num_iters)

  v = jax.random.normal(jax.random.PRNGKey(seed), out.shape, out.dtype)
  _, rayleigh = iterate(v / jnp.linalg.norm(v))
  return float(rayleigh[-1])
