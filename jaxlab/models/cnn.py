"""A small convolutional classifier for low-resolution images (8x8 digits, MNIST)."""
from __future__ import annotations

import dataclasses

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class CNNConfig:
  num_classes: int = 10
  features: tuple[int, ...] = (16, 32)   # channels of each 3x3 conv block
  hidden: int = 64                       # width of the dense layer before the head
  dtype: jnp.dtype = jnp.float32


class SmallCNN(nn.Module):
  """conv3x3-relu blocks (the second and later downsample by 2), dense, logits."""
  config: CNNConfig

  @nn.compact
  def __call__(self, images_BxHxWxC: jax.Array) -> jax.Array:
    chex.assert_rank(images_BxHxWxC, 4)
    cfg = self.config
    x = images_BxHxWxC.astype(cfg.dtype)
    for i, feats in enumerate(cfg.features):
      x = nn.relu(nn.Conv(feats, (3, 3), strides=(1, 1) if i == 0 else (2, 2),
                          dtype=cfg.dtype)(x))
    x = x.reshape(x.shape[0], -1)
    x = nn.relu(nn.Dense(cfg.hidden, dtype=cfg.dtype)(x))
    return nn.Dense(cfg.num_classes, dtype=cfg.dtype)(x)
