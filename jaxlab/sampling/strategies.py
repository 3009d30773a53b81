"""Sampling strategies: pure functions from next-token logits to tokens.

Each strategy is a small frozen (hashable) dataclass, so it can be a static
argument of a jitted function. Its `log_probs(logits_BxV, temperature_B)`
gives the distribution it samples from (``-inf`` outside the allowed set);
`sample` draws from it. Temperature is applied first and truncation (top-k,
top-p, min-p) after, on the tempered distribution, as in Hugging Face's
logits warpers. The temperature is per row: a strategy's `temperature` is
the default, and `sample`/`generate` accept a ``[B]`` array that overrides it.
"""
from __future__ import annotations

import dataclasses
from typing import Union

import chex
import jax
import jax.numpy as jnp

_NEG_INF = -jnp.inf


def _check_temperature(temperature: float) -> None:
  if not temperature >= 0:
    raise ValueError(f"temperature must be >= 0 (0 = greedy), got {temperature}")


def _tempered(logits_BxV: jax.Array, temperature_B: jax.Array) -> jax.Array:
  """log_softmax(logits / T) per row; a row with T == 0 becomes its argmax."""
  t_Bx1 = temperature_B[:, None]
  safe_t = jnp.where(t_Bx1 > 0, t_Bx1, 1.0)
  tempered = jax.nn.log_softmax(logits_BxV / safe_t, axis=-1)
  argmax = jax.nn.one_hot(jnp.argmax(logits_BxV, -1), logits_BxV.shape[-1])
  greedy = jnp.where(argmax > 0, 0.0, _NEG_INF)
  return jnp.where(t_Bx1 > 0, tempered, greedy)


@dataclasses.dataclass(frozen=True)
class Greedy:
  """The most probable token (ties: the lowest id)."""
  temperature: float = 0.0

  def truncate(self, logp_BxV: jax.Array) -> jax.Array:
    return logp_BxV


@dataclasses.dataclass(frozen=True)
class Temperature:
  """Plain sampling from softmax(logits / temperature)."""
  temperature: float = 1.0

  def __post_init__(self):
    _check_temperature(self.temperature)

  def truncate(self, logp_BxV: jax.Array) -> jax.Array:
    return logp_BxV


@dataclasses.dataclass(frozen=True)
class TopK:
  """Sampling restricted to the k most probable tokens."""
  k: int
  temperature: float = 1.0

  def __post_init__(self):
    _check_temperature(self.temperature)
    if self.k < 1:
      raise ValueError(f"top-k needs k >= 1, got {self.k}")

  def truncate(self, logp_BxV: jax.Array) -> jax.Array:
    k = min(self.k, logp_BxV.shape[-1])
    kth_best_Bx1 = jax.lax.top_k(logp_BxV, k)[0][:, -1:]
    return jnp.where(logp_BxV >= kth_best_Bx1, logp_BxV, _NEG_INF)


@dataclasses.dataclass(frozen=True)
class TopP:
  """Nucleus sampling: the smallest set of most probable tokens whose mass
  reaches p (the token that crosses p is included)."""
  p: float
  temperature: float = 1.0

  def __post_init__(self):
    _check_temperature(self.temperature)
    if not 0 < self.p <= 1:
      raise ValueError(f"top-p needs 0 < p <= 1, got {self.p}")

  def truncate(self, logp_BxV: jax.Array) -> jax.Array:
    sorted_BxV = jnp.sort(logp_BxV, axis=-1)[:, ::-1]
    mass_before_BxV = jnp.cumsum(jnp.exp(sorted_BxV), -1) - jnp.exp(sorted_BxV)
    kept_BxV = mass_before_BxV < self.p
    # The smallest kept log-prob is the threshold (ties kept together).
    threshold_Bx1 = jnp.min(jnp.where(kept_BxV, sorted_BxV, jnp.inf), -1,
                            keepdims=True)
    return jnp.where(logp_BxV >= threshold_Bx1, logp_BxV, _NEG_INF)


@dataclasses.dataclass(frozen=True)
class MinP:
  """Min-p sampling: tokens whose probability is at least p_min times the
  top token's probability."""
  p_min: float
  temperature: float = 1.0

  def __post_init__(self):
    _check_temperature(self.temperature)
    if not 0 <= self.p_min <= 1:
      raise ValueError(f"min-p needs 0 <= p_min <= 1, got {self.p_min}")

  def truncate(self, logp_BxV: jax.Array) -> jax.Array:
    top_Bx1 = jnp.max(logp_BxV, -1, keepdims=True)
    keep = logp_BxV >= top_Bx1 + jnp.log(self.p_min)
    return jnp.where(keep, logp_BxV, _NEG_INF)


Strategy = Union[Greedy, Temperature, TopK, TopP, MinP]


def row_temperatures(strategy: Strategy, batch: int,
                     temperature_B: jax.Array | None = None) -> jax.Array:
  """The per-row temperatures: the override if given, else the default."""
  if temperature_B is None:
    return jnp.full((batch,), strategy.temperature, jnp.float32)
  temperature_B = jnp.asarray(temperature_B, jnp.float32)
  chex.assert_shape(temperature_B, (batch,))
  if not isinstance(temperature_B, jax.core.Tracer) and bool(jnp.any(temperature_B < 0)):
    raise ValueError(f"temperatures must be >= 0, got {temperature_B}")
  return temperature_B


def log_probs(strategy: Strategy, logits_BxV: jax.Array,
              temperature_B: jax.Array | None = None) -> jax.Array:
  """Log-probabilities of the distribution `strategy` samples from
  (``-inf`` for tokens it never emits), normalised per row."""
  chex.assert_rank(logits_BxV, 2)
  logits_BxV = logits_BxV.astype(jnp.float32)
  if isinstance(strategy, Greedy):
    temperature_B = jnp.zeros((logits_BxV.shape[0],), jnp.float32)
  else:
    temperature_B = row_temperatures(strategy, logits_BxV.shape[0], temperature_B)
  truncated = strategy.truncate(_tempered(logits_BxV, temperature_B))
  return jax.nn.log_softmax(truncated, axis=-1)


def sample(strategy: Strategy, logits_BxV: jax.Array, rng: jax.Array,
           temperature_B: jax.Array | None = None) -> jax.Array:
  """One token per row, ``[B]`` int32, drawn from `log_probs`."""
  logp_BxV = log_probs(strategy, logits_BxV, temperature_B)
  if isinstance(strategy, Greedy):
    return jnp.argmax(logp_BxV, -1).astype(jnp.int32)
  return jax.random.categorical(rng, logp_BxV, axis=-1).astype(jnp.int32)
