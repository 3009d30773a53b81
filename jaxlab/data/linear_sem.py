"""The linear structural-equation setting of the P-IRM paper.

Two blocks of latent features, ``z1`` causal in every environment and ``z2``
causal only where ``b_e = 1``::

    z1, z2 ~ N(0, sigma_e^2 I),   y = z1.w1 + b_e z2.w2 + N(0, sigma_e^2),
    x = S [z1; z2]

with ``w ~ N(0, 1/d)``, ``S`` the identity or a random orthogonal matrix
(scrambling), and environments differing in noise scale ``sigma_e``. IRM over
all environments must drop ``z2`` (its coefficient is not invariant); P-IRM
over the ``b_e = 1`` environments may keep it.
"""
from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class LinearSEM:
  """Environments are given by their noise scales and their ``b_e``."""
  dim: int = 5                                   # per block
  sigmas: tuple[float, ...] = (0.2, 1.0, 2.0, 5.0)
  causal_b: tuple[int, ...] = (1, 1, 0, 0)
  samples_per_env: int = 1000
  scramble: bool = False
  test_sigma: float = 1.5
  test_b: int = 1

  def __post_init__(self):
    if self.dim <= 0 or self.samples_per_env <= 0:
      raise ValueError(f"dim and samples_per_env must be positive, got "
                       f"{self.dim} and {self.samples_per_env}")
    if not self.sigmas or len(self.sigmas) != len(self.causal_b):
      raise ValueError(f"sigmas {self.sigmas} and causal_b {self.causal_b} "
                       f"must be non-empty and of equal length")
    bad = [b for b in self.causal_b + (self.test_b,) if b not in (0, 1)]
    if bad:
      raise ValueError(f"b_e must be 0 or 1, got {bad}")
    if min(self.sigmas + (self.test_sigma,)) <= 0:
      raise ValueError(f"noise scales must be positive, got {self.sigmas}")

  @property
  def env_names(self) -> tuple[str, ...]:
    return tuple(f"s{s:g}_b{b}" for s, b in zip(self.sigmas, self.causal_b))


@dataclasses.dataclass(frozen=True)
class SEMData:
  x_NxD: np.ndarray
  y_N: np.ndarray
  env_N: np.ndarray
  test_x_NxD: np.ndarray
  test_y_N: np.ndarray
  w1: np.ndarray
  w2: np.ndarray
  scramble_DxD: np.ndarray

  def block_ratios(self, w_hat_D: np.ndarray) -> tuple[float, float]:
    """Recovered/true norm of each block of a fitted linear weight vector."""
    w_z = self.scramble_DxD.T @ np.asarray(w_hat_D).reshape(-1)
    d = len(self.w1)
    return (float(np.linalg.norm(w_z[:d]) / np.linalg.norm(self.w1)),
            float(np.linalg.norm(w_z[d:]) / np.linalg.norm(self.w2)))


def _draw(rng, sem: LinearSEM, sigma: float, b: int, n: int, w1, w2, scramble):
  z1 = rng.normal(0, sigma, (n, sem.dim))
  z2 = rng.normal(0, sigma, (n, sem.dim))
  y = z1 @ w1 + b * (z2 @ w2) + rng.normal(0, sigma, n)
  return np.concatenate([z1, z2], 1) @ scramble.T, y


def generate(sem: LinearSEM, seed: int) -> SEMData:
  """Training environments (rows tagged by ``env_N``) and one test environment."""
  rng = np.random.default_rng(seed)
  w1 = rng.normal(0, 1 / np.sqrt(sem.dim * 2), sem.dim)
  w2 = rng.normal(0, 1 / np.sqrt(sem.dim * 2), sem.dim)
  if sem.scramble:
    scramble, _ = np.linalg.qr(rng.normal(size=(2 * sem.dim, 2 * sem.dim)))
  else:
    scramble = np.eye(2 * sem.dim)
  xs, ys = zip(*(_draw(rng, sem, s, b, sem.samples_per_env, w1, w2, scramble)
                 for s, b in zip(sem.sigmas, sem.causal_b)))
  env = np.repeat(np.arange(len(sem.sigmas)), sem.samples_per_env)
  test_x, test_y = _draw(rng, sem, sem.test_sigma, sem.test_b,
                         sem.samples_per_env, w1, w2, scramble)
  f32 = lambda a: np.asarray(a, np.float32)
  return SEMData(f32(np.concatenate(xs)), f32(np.concatenate(ys)),
                 env.astype(np.int32), f32(test_x), f32(test_y), w1, w2, scramble)
