"""Small classifiers for the invariance experiments.

`MLPClassifier` is the IRM Colored-MNIST network (ReLU MLP, Xavier-uniform
weights, zero biases), optionally on the grayscale image (channels summed:
the IRM "oracle" that cannot see colour). `BagOfWordsClassifier` is a small
text encoder: token embeddings averaged over the non-padding tokens, then an
MLP head; order-free, which suits cue-word tasks and keeps CPU runs short.
"""
from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp

PAD = 0


def _mlp(h: jax.Array, hidden: tuple[int, ...], num_outputs: int) -> jax.Array:
  dense = lambda n: nn.Dense(n, kernel_init=nn.initializers.xavier_uniform(),
                             bias_init=nn.initializers.zeros)
  for width in hidden:
    h = nn.relu(dense(width)(h))
  out = dense(num_outputs)(h)
  return out[..., 0] if num_outputs == 1 else out


@dataclasses.dataclass(frozen=True)
class MLPConfig:
  hidden: tuple[int, ...] = (390, 390)
  num_outputs: int = 1            # 1: a binary logit [N]; else logits [N, C]
  grayscale: bool = False         # sum the channel axis (axis 1) first


class MLPClassifier(nn.Module):
  """x_Nx... (e.g. N x 2 x H x W) -> logits [N] or [N, C]."""
  config: MLPConfig

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    if self.config.grayscale:
      x = x.sum(axis=1)
    return _mlp(x.reshape(x.shape[0], -1), self.config.hidden,
                self.config.num_outputs)


@dataclasses.dataclass(frozen=True)
class TextConfig:
  vocab_size: int
  embed_dim: int = 16
  hidden: tuple[int, ...] = (32,)
  num_outputs: int = 1


class BagOfWordsClassifier(nn.Module):
  """tokens_NxL (int, 0 = padding) -> logits [N] or [N, C]."""
  config: TextConfig

  @nn.compact
  def __call__(self, tokens_NxL: jax.Array) -> jax.Array:
    if tokens_NxL.ndim != 2:
      raise ValueError(f"tokens must be [N, L], got shape {tokens_NxL.shape}")
    emb_NxLxD = nn.Embed(self.config.vocab_size, self.config.embed_dim)(tokens_NxL)
    mask_NxLx1 = (tokens_NxL != PAD)[..., None].astype(emb_NxLxD.dtype)
    pooled_NxD = (emb_NxLxD * mask_NxLx1).sum(1) / jnp.maximum(mask_NxLx1.sum(1), 1.0)
    return _mlp(pooled_NxD, self.config.hidden, self.config.num_outputs)
