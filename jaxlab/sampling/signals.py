"""Signals that score a partial trace from the model's own statistics.

A signal is any function ``PathStats -> score [R]`` (higher = more
promising); the tree search keeps the best-scoring branches. Statistics are
those decoding records per generated token (masked where a row had already
stopped), plus an optional self-reward: the model's log-probability of a
verification token after a query (see `Verifier`).
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
from flax import struct


class PathStats(struct.PyTreeNode):
  """Per-token statistics of R partial traces (all levels so far)."""
  logprobs_RxT: jax.Array
  entropies_RxT: jax.Array
  mask_RxT: jax.Array
  self_reward_R: jax.Array | None = None


@dataclasses.dataclass(frozen=True)
class Verifier:
  """How to read a self-reward: feed `query_tokens` after the trace and take
  log p(`verify_token`) at the last query position."""
  query_tokens: tuple[int, ...]
  verify_token: int

  def __post_init__(self):
    if not self.query_tokens:
      raise ValueError("a verifier needs at least one query token")
    object.__setattr__(self, "query_tokens", tuple(int(t) for t in self.query_tokens))


Signal = Callable[[PathStats], jax.Array]


def _masked_mean(x_RxT: jax.Array, mask_RxT: jax.Array) -> jax.Array:
  m = mask_RxT.astype(jnp.float32)
  return jnp.sum(x_RxT * m, -1) / jnp.maximum(jnp.sum(m, -1), 1.0)


def neg_mean_entropy(stats: PathStats) -> jax.Array:
  """ENT: minus the mean next-token entropy along the trace (confident = high)."""
  return -_masked_mean(stats.entropies_RxT, stats.mask_RxT)


def mean_logprob(stats: PathStats) -> jax.Array:
  """The mean log-probability of the trace's own tokens."""
  return _masked_mean(stats.logprobs_RxT, stats.mask_RxT)


def self_reward(stats: PathStats) -> jax.Array:
  """SR: the model's log-probability of the verification token."""
  if stats.self_reward_R is None:
    raise ValueError("the self_reward signal needs a Verifier (tree_search(..., "
                     "verifier=Verifier(query_tokens, verify_token)))")
  return stats.self_reward_R


def combine(*signals: Signal) -> Signal:
  """The sum of several signals (e.g. ENT+SR), all in nats."""
  if not signals:
    raise ValueError("combine needs at least one signal")
  return lambda stats: sum(s(stats) for s in signals)


SIGNALS: dict[str, Signal] = {
    "ent": neg_mean_entropy,
    "logprob": mean_logprob,
    "sr": self_reward,
    "ent+sr": combine(neg_mean_entropy, self_reward),
}


def by_name(name: str) -> Signal:
  """A registered signal, or an error that lists them."""
  if name not in SIGNALS:
    raise ValueError(f"unknown signal {name!r}; known: {sorted(SIGNALS)}")
  return SIGNALS[name]
