"""Eigenvalues of dot-product kernels on the sphere S^{d-1}, per harmonic degree.

A kernel k(z, z') = kappa(<z, z'>) on the unit sphere is diagonalised by the
spherical harmonics: every harmonic of degree k is an eigenfunction (w.r.t.
the uniform probability measure) with the same eigenvalue mu_k, of
multiplicity N(d, k). Two ways to get mu_k:

- `eigenvalues_by_degree`: the Funk-Hecke formula
  mu_k = |S^{d-2}| / |S^{d-1}| * int_{-1}^{1} kappa(t) P_k(t) (1 - t^2)^{(d-3)/2} dt
  with P_k the Gegenbauer (Legendre) polynomial normalised to P_k(1) = 1,
  integrated by Gauss-Gegenbauer (Jacobi alpha = beta = (d-3)/2) quadrature;
- `gram_eigenvalues_by_degree`: eigen-decompose the Gram matrix K / n on n
  uniform points and group its eigenvalues by the degree of their
  eigenvectors (each group has N(d, k) members, mean ~ mu_k).

`decay_slope` fits mu_k ~ k^slope on log-log axes.
"""
from __future__ import annotations

import math
from typing import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
from scipy import linalg, special


def _check_dimension(d: int) -> None:
  if not isinstance(d, (int, np.integer)) or d < 2:
    raise ValueError(f"the sphere S^(d-1) needs an integer dimension d >= 2, got d={d!r}")


def num_harmonics(d: int, k: int) -> int:
  """N(d, k): the number of independent degree-k harmonics on S^{d-1}
  (2k + 1 on S^2, 2 on the circle for k >= 1)."""
  _check_dimension(d)
  if k == 0:
    return 1
  return int(round((2 * k + d - 2) / k * math.comb(k + d - 3, d - 2)))


def gegenbauer(max_degree: int, d: int, t: np.ndarray) -> np.ndarray:
  """P_k^{(d)}(t) for k = 0..max_degree, normalised P_k(1) = 1: shape (K+1, *t.shape).

  Three-term recurrence (k + d - 2) P_{k+1} = (2k + d - 2) t P_k - k P_{k-1};
  d = 3 gives Legendre, d = 2 Chebyshev polynomials.
  """
  return np.stack(list(_gegenbauer_iter(max_degree, d, t)))


def _gegenbauer_iter(max_degree: int, d: int, t: np.ndarray) -> Iterator[np.ndarray]:
  """Yields P_0(t), ..., P_K(t), holding only two of them at a time."""
  _check_dimension(d)
  t = np.asarray(t, dtype=np.float64)
  prev, cur = None, np.ones_like(t)
  for k in range(max_degree + 1):
    yield cur
    nxt = t if k == 0 else ((2 * k + d - 2) * t * cur - k * prev) / (k + d - 2)
    prev, cur = cur, nxt


def eigenvalues_by_degree(kernel_fn: Callable[[jax.Array], jax.Array], d: int,
                          max_degree: int, num_nodes: int = 2048) -> np.ndarray:
  """Funk-Hecke eigenvalues mu_0..mu_K of z, z' -> kernel_fn(<z, z'>) on S^{d-1}.

  `kernel_fn` maps an array of u in [-1, 1] to kernel values (for instance
  ``lambda u: jaxlab.ntk.ccp_kernels(u, 3).ntk``); it is evaluated in float64.
  Eigenvalues are w.r.t. the uniform probability measure, so they are what
  the Gram matrix K / n of n uniform points converges to. Kernels with a
  kink at u = +-1 (ReLU's arccos) converge algebraically in `num_nodes`;
  the default resolves degree 40 to better than 1e-6 relative.
  """
  _check_dimension(d)
  if max_degree < 0:
    raise ValueError(f"max_degree must be >= 0, got {max_degree}")
  alpha = (d - 3) / 2
  nodes, weights = special.roots_jacobi(num_nodes, alpha, alpha)
  with jax.enable_x64(True):
    values = np.asarray(kernel_fn(jnp.asarray(nodes, jnp.float64)), np.float64)
  if values.shape != nodes.shape:
    raise ValueError(f"kernel_fn must map u of shape {nodes.shape} to the same "
                     f"shape, got {values.shape}")
  area_ratio = math.gamma(d / 2) / (math.sqrt(math.pi) * math.gamma((d - 1) / 2))
  return area_ratio * gegenbauer(max_degree, d, nodes) @ (weights * values)


def sample_sphere(rng: jax.Array, n: int, d: int) -> np.ndarray:
  """n points drawn uniformly from S^{d-1}, float64, shape (n, d)."""
  _check_dimension(d)
  x = np.asarray(jax.random.normal(rng, (n, d)), np.float64)
  return x / np.linalg.norm(x, axis=1, keepdims=True)


def check_on_sphere(z_NxD: np.ndarray, atol: float = 1e-5) -> None:
  """Raises ValueError unless every row of z has unit norm."""
  z = np.asarray(z_NxD)
  if z.ndim != 2:
    raise ValueError(f"points must be an (n, d) array, got shape {z.shape}")
  _check_dimension(z.shape[1])
  err = np.abs(np.linalg.norm(z, axis=1) - 1.0)
  if err.max() > atol:
    raise ValueError(
        f"spherical-harmonic spectra need points on the unit sphere; row "
        f"{int(err.argmax())} has norm {1 + float(err.max()):.6g} (tolerance "
        f"{atol}): normalise the inputs first")


def degree_projectors(z_NxD: np.ndarray, max_degree: int) -> Iterator[np.ndarray]:
  """Yields (N(d,k) / n) P_k(<z_i, z_j>) for k = 0..max_degree: on uniform
  points, approximately the orthogonal projector onto the degree-k harmonics
  sampled at z (n x n each; one held at a time)."""
  check_on_sphere(z_NxD)
  n, d = z_NxD.shape
  u = np.clip(z_NxD @ z_NxD.T, -1.0, 1.0)
  for k, p_k in enumerate(_gegenbauer_iter(max_degree, d, u)):
    yield num_harmonics(d, k) / n * p_k


def gram_eigenvalues_by_degree(gram_NxN: np.ndarray, z_NxD: np.ndarray,
                               max_degree: int) -> tuple[np.ndarray, np.ndarray]:
  """Eigen-decomposes K / n and groups the eigenvalues by harmonic degree.

  The leading sum_{k <= K} N(d, k) eigenpairs (scipy's subset eigensolver:
  only those are computed) are each assigned the degree k <= K + 1 whose
  projector (`degree_projectors`) holds most of the eigenvector's energy,
  if that is more than half of it (a higher-degree eigenvector, which
  shows up when some mu_k is zero, stays unassigned). Returns (counts, means)
  over degrees 0..max_degree: how many eigenvalues fell in each degree
  (N(d, k) when the clusters separate) and their mean (NaN for a degree that
  got none, e.g. a zero eigenvalue).
  """
  check_on_sphere(z_NxD)
  n, d = z_NxD.shape
  if gram_NxN.shape != (n, n):
    raise ValueError(f"Gram matrix shape {gram_NxN.shape} does not match {n} points")
  top = min(n, sum(num_harmonics(d, k) for k in range(max_degree + 1)))
  evals, evecs = linalg.eigh(np.asarray(gram_NxN, np.float64) / n,
                             subset_by_index=[n - top, n - 1])
  energy = np.stack([np.einsum("ni,ni->i", evecs, proj @ evecs)
                     for proj in degree_projectors(z_NxD, max_degree + 1)])
  degree = np.where(energy.max(axis=0) > 0.5, energy.argmax(axis=0), -1)
  counts = np.array([(degree == k).sum() for k in range(max_degree + 1)])
  means = np.array([evals[degree == k].mean() if counts[k] else np.nan
                    for k in range(max_degree + 1)])
  return counts, means


def decay_slope(mu: np.ndarray, min_degree: int = 1, rel_tol: float = 1e-9) -> float:
  """Least-squares slope of log mu_k against log k over k >= min_degree,
  skipping (near-)zero eigenvalues (parity zeros, polynomial kernels' tails)."""
  mu = np.asarray(mu, np.float64)
  k = np.arange(len(mu))
  keep = (k >= max(min_degree, 1)) & (np.abs(mu) > rel_tol * np.abs(mu).max())
  if keep.sum() < 2:
    raise ValueError(f"need at least two nonzero eigenvalues at degree >= "
                     f"{max(min_degree, 1)} to fit a slope, got {int(keep.sum())}")
  return float(np.polyfit(np.log(k[keep]), np.log(np.abs(mu[keep])), 1)[0])


def degree_components(z_NxD: np.ndarray, values_TxN: np.ndarray, max_degree: int,
                      seed: int = 0) -> np.ndarray:
  """Norms of each function's degree-k part on the sample: shape (T, K+1).

  Least squares on an explicit basis of all harmonics of degree <= K: for
  each k, P_k(<v_j, z>) over N(d, k) random directions v_j spans the degree-k
  harmonics. Unlike `degree_projectors` this is exact for functions in that
  span (finite-sample leakage between degrees is fitted, not ignored); the
  returned norm is RMS over the sample, ||B_k c_k|| / sqrt(n).
  """
  check_on_sphere(z_NxD)
  n, d = z_NxD.shape
  sizes = [num_harmonics(d, k) for k in range(max_degree + 1)]
  if sum(sizes) > n:
    raise ValueError(f"{sum(sizes)} harmonics of degree <= {max_degree} on S^{d - 1} "
                     f"exceed the {n} sample points; lower max_degree")
  directions = sample_sphere(jax.random.PRNGKey(seed), sum(sizes), d)
  blocks, start = [], 0
  for k, size in enumerate(sizes):
    blocks.append(gegenbauer(k, d, z_NxD @ directions[start:start + size].T)[k])
    start += size
  basis = np.concatenate(blocks, axis=1)                      # (n, sum N_k)
  coef = np.linalg.lstsq(basis, np.atleast_2d(values_TxN).T, rcond=None)[0]
  bounds = np.cumsum([0] + sizes)
  return np.stack([np.linalg.norm(blocks[k] @ coef[bounds[k]:bounds[k + 1]], axis=0)
                   for k in range(max_degree + 1)], axis=1) / np.sqrt(n)
