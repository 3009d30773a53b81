"""The ReLU MLP baseline, written as an architecture tree (`arch`) so its
Flax module, stax layers and kernel recursion come from one definition."""
from __future__ import annotations

import dataclasses
import math

import flax.linen as nn
import jax

from jaxlab.models import arch


@dataclasses.dataclass(frozen=True)
class MLPConfig:
  depth: int = 1                 # hidden layers; 1 is the two-layer network
  width: int = 256
  activation: str = "relu"
  w_std: float = math.sqrt(2.0)  # hidden layers (He scale keeps the variance)
  b_std: float = 0.0             # hidden biases
  out_features: int = 1
  readout_b_std: float = 0.0
  parametrization: str = "ntk"

  def __post_init__(self):
    if self.depth < 1:
      raise ValueError(f"depth must be >= 1 hidden layer, got {self.depth}")
    if self.width < 1:
      raise ValueError(f"width must be positive, got {self.width}")


def architecture(config: MLPConfig) -> arch.Layer:
  """Dense -> act, `depth` times, then a linear readout."""
  c = config
  hidden = tuple(layer for _ in range(c.depth) for layer in (
      arch.Dense(c.width, w_std=c.w_std, b_std=c.b_std), arch.Activation(c.activation)))
  return arch.Serial(hidden + (arch.Dense(c.out_features, b_std=c.readout_b_std),))


class MLP(nn.Module):
  """The MLP as a Flax module: ``z_BxD -> y_BxO``."""
  config: MLPConfig

  @nn.compact
  def __call__(self, z_BxD: jax.Array) -> jax.Array:
    return arch.SpecNet(architecture(self.config), self.config.parametrization,
                        name="net")(z_BxD)
