"""Classification losses and metrics as pure functions of logits and labels."""
from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import optax


def cross_entropy(logits_BxC: jax.Array, labels_B: jax.Array) -> jax.Array:
  """Mean softmax cross-entropy with integer labels."""
  chex.assert_rank(logits_BxC, 2)
  chex.assert_shape(labels_B, logits_BxC.shape[:1])
  return optax.softmax_cross_entropy_with_integer_labels(logits_BxC, labels_B).mean()


def accuracy(logits_BxC: jax.Array, labels_B: jax.Array) -> jax.Array:
  """Fraction of rows whose arg-max logit is the label."""
  return jnp.mean(jnp.argmax(logits_BxC, axis=-1) == labels_B)
