"""Π-Nets (polynomial networks): CCP, NCP and plain Hadamard products.

Written once as architecture trees (`jaxlab.models.arch`), so the same
choice runs as a Flax module (`PiNet`), as neural-tangents stax layers and as
the analytic kernel recursion (`jaxlab.ntk.analytic`).

- CCP (degree N): y_1 = U_1^T z; y_n = (U_n^T z) * y_{n-1} + y_{n-1};
  output C y_N + beta. Equivalently y_N = (U_1^T z) * prod_{n>=2}(U_n^T z + 1):
  the skip term is a per-unit bias that starts at 1 and is trained with the
  rest (its infinite-width kernel equals stax ``Dense(b_std=1)``).
- NCP (degree N): x_1 = (A_1^T z) * (B_1^T b_1);
  x_n = (A_n^T z) * (S_n^T x_{n-1} + B_n^T b_n); output C x_N + beta. The
  products ``B_n^T b_n`` are trainable vectors of scale `beta`.
- product (degree N): (A_1^T z) * (A_2^T z) * ... * (A_N^T z).

With ``activation="relu"`` every branch that reads z is activated
(NCP: relu(A_n^T z); product: only the first factor, so N = 2 gives the
relu(Az) * (Bz) of the kernel experiments; CCP: y_1 = relu(U_1^T z),
y_n = relu(U_n^T z + b_n) * y_{n-1} with b_n ~ N(0, 1), because the skip
form relu(U_n^T z) * y_{n-1} + y_{n-1} adds a non-Gaussian branch to a
Gaussian one, which stax's ``FanInSum`` cannot take and whose kernel the
nonzero mean of relu would change). Without an
activation a degree-N Π-Net is a polynomial of degree N in z.
"""
from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax

from jaxlab.models import arch

KINDS = ("ccp", "ncp", "product")


@dataclasses.dataclass(frozen=True)
class PiNetConfig:
  kind: str = "ccp"
  degree: int = 3
  width: int = 256
  activation: str | None = None
  beta: float = 1.0              # NCP: scale of the B_n^T b_n vectors and S_n biases
  out_features: int = 1
  readout_b_std: float = 0.0     # the output bias beta; 0 leaves it out
  parametrization: str = "ntk"

  def __post_init__(self):
    if self.kind not in KINDS:
      raise ValueError(f"Π-Net kind {self.kind!r} not in {KINDS}")
    if self.degree < 1 or (self.kind == "product" and self.degree < 2):
      raise ValueError(f"degree must be >= 1 (>= 2 for 'product'), got {self.degree}")
    if self.width < 1:
      raise ValueError(f"width must be positive, got {self.width}")
    if self.activation is not None and self.activation not in arch.ACTIVATIONS:
      raise ValueError(f"activation {self.activation!r} not in "
                       f"{sorted(arch.ACTIVATIONS)} or None")


def _z_branch(width: int, activation: str | None, bias_std: float = 0.0,
              bias_init: str = "normal") -> arch.Layer:
  """act(W^T z + b): the branch of a product that reads the input."""
  dense = arch.Dense(width, b_std=bias_std, bias_init=bias_init)
  if activation is None:
    return dense
  return arch.Serial((dense, arch.Activation(activation)))


def architecture(config: PiNetConfig) -> arch.Layer:
  """The architecture tree of a Π-Net, readout included."""
  c = config
  if c.kind == "ccp":
    skip_init = "ones" if c.activation is None else "normal"
    body = arch.Product((_z_branch(c.width, c.activation),) + tuple(
        _z_branch(c.width, c.activation, 1.0, skip_init) for _ in range(c.degree - 1)))
  elif c.kind == "ncp":
    body = arch.Product((_z_branch(c.width, c.activation), arch.Bias(c.width, c.beta)))
    for _ in range(c.degree - 1):
      body = arch.Product((_z_branch(c.width, c.activation),
                           arch.Serial((body, arch.Dense(c.width, b_std=c.beta)))))
  else:
    body = arch.Product((_z_branch(c.width, c.activation),) + tuple(
        arch.Dense(c.width) for _ in range(c.degree - 1)))
  return arch.Serial((body, arch.Dense(c.out_features, b_std=c.readout_b_std)))


class PiNet(nn.Module):
  """A Π-Net as a Flax module: ``z_BxD -> y_BxO``."""
  config: PiNetConfig

  @nn.compact
  def __call__(self, z_BxD: jax.Array) -> jax.Array:
    return arch.SpecNet(architecture(self.config), self.config.parametrization,
                        name="net")(z_BxD)
