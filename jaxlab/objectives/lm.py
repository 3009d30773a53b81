"""Language-modelling loss: next-token cross-entropy with an optional mask."""
from __future__ import annotations

import math
from typing import Any, Callable

import chex
import jax
import jax.numpy as jnp
import optax


def next_token_loss(logits_BxLxV: jax.Array, targets_BxL: jax.Array,
                    mask_BxL: jax.Array | None = None
                    ) -> tuple[jax.Array, dict[str, jax.Array]]:
  """Mean cross-entropy (nats per token) over the unmasked positions.

  `logits_BxLxV[:, t]` predicts `targets_BxL[:, t]`. Returns (loss, aux) with
  aux ``accuracy`` (arg-max hits) and ``bits_per_token``.
  """
  chex.assert_rank(logits_BxLxV, 3)
  chex.assert_shape(targets_BxL, logits_BxLxV.shape[:2])
  mask = jnp.ones(targets_BxL.shape, jnp.float32) if mask_BxL is None else mask_BxL
  chex.assert_shape(mask, targets_BxL.shape)
  mask = mask.astype(jnp.float32)
  nll = optax.softmax_cross_entropy_with_integer_labels(
      logits_BxLxV.astype(jnp.float32), targets_BxL)
  count = jnp.maximum(mask.sum(), 1.0)
  loss = (nll * mask).sum() / count
  hits = (jnp.argmax(logits_BxLxV, axis=-1) == targets_BxL).astype(jnp.float32)
  return loss, {"accuracy": (hits * mask).sum() / count,
                "bits_per_token": loss / math.log(2.0)}


def make_loss_fn(apply_fn: Callable[..., jax.Array]
                 ) -> Callable[[Any, dict, jax.Array], tuple[jax.Array, dict]]:
  """A loop `loss_fn(params, batch, rng)` for batches ``{"tokens": [B, L+1]}``.

  `apply_fn(variables, inputs_BxL)` is a model's apply (e.g.
  ``Transformer(cfg).apply``); an optional ``batch["mask"]`` ``[B, L+1]``
  weights the predicted tokens (``mask[:, 1:]``).
  """
  def loss_fn(params, batch, rng):
    del rng   # the decoder is deterministic (no dropout)
    tokens = batch["tokens"]
    logits = apply_fn({"params": params}, tokens[:, :-1])
    mask = batch.get("mask")
    return next_token_loss(logits, tokens[:, 1:], None if mask is None else mask[:, 1:])

  return loss_fn
