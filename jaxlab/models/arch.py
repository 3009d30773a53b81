"""A tiny architecture language with one Flax back end.

The networks whose kernels jaxlab studies (Π-Nets, ReLU MLPs) are written once
as a tree of the nodes below; `SpecNet` runs that tree as a Flax module, and
`jaxlab.ntk.analytic` turns the same tree into neural-tangents ``stax`` layers
and into the closed-form kernel recursion. One definition, so the finite
network, the stax kernel and the recursion cannot drift apart.

Nodes (all frozen dataclasses):

- ``Dense(features, w_std, b_std, bias_init)``: an affine layer;
- ``Bias(features, std, init)``: a trainable vector that ignores its input
  (stax: ``Dense(W_std=0, b_std=std)``);
- ``Activation(name)``: an elementwise nonlinearity;
- ``Serial(layers)``: composition;
- ``Product(branches)``: every branch reads the same input, the outputs are
  multiplied elementwise (stax: ``FanOut`` -> ``parallel`` -> ``FanInProd``).

Parametrisation. With ``"ntk"`` a Dense layer computes
``w_std / sqrt(fan_in) * x @ W + b_std * b`` with ``W, b ~ N(0, 1)``; with
``"standard"`` it computes ``x @ W + b`` with ``W ~ N(0, w_std^2 / fan_in)``,
``b ~ N(0, b_std^2)``. ``bias_init="ones"`` starts b at 1 instead of a normal
draw: the infinite-width kernels only see E[b^2] = 1 either way, which is how
CCP's skip term ``+ y_{n-1}`` becomes a trainable bias (see `pinet.py`).

Inputs are scaled by sqrt(d) (d = input size) before the first layer, so a
point z on the unit sphere has the per-coordinate scale the 1/sqrt(fan_in)
of the NTK parametrisation expects and the first layer's NNGP kernel is
``w_std^2 <z, z'>``: kernels are functions of ``u = <z, z'>``.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Callable, Union

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp

PARAMETRIZATIONS = ("ntk", "standard")
BIAS_INITS = ("normal", "ones")
ACTIVATIONS = {"relu": nn.relu}


@dataclasses.dataclass(frozen=True)
class Dense:
  features: int
  w_std: float = 1.0
  b_std: float = 0.0
  bias_init: str = "normal"

  def __post_init__(self):
    if self.bias_init not in BIAS_INITS:
      raise ValueError(f"bias_init {self.bias_init!r} not in {BIAS_INITS}")


@dataclasses.dataclass(frozen=True)
class Bias:
  features: int
  std: float = 1.0
  init: str = "normal"

  def __post_init__(self):
    if self.init not in BIAS_INITS:
      raise ValueError(f"bias init {self.init!r} not in {BIAS_INITS}")


@dataclasses.dataclass(frozen=True)
class Activation:
  name: str

  def __post_init__(self):
    if self.name not in ACTIVATIONS:
      raise ValueError(f"activation {self.name!r} not supported; known: "
                       f"{sorted(ACTIVATIONS)}")


@dataclasses.dataclass(frozen=True)
class Serial:
  layers: tuple


@dataclasses.dataclass(frozen=True)
class Product:
  branches: tuple


Layer = Union[Dense, Bias, Activation, Serial, Product]


def check_gaussian_activations(layer: Layer) -> None:
  """Raises ValueError where an activation reads a non-Gaussian layer.

  At infinite width a Dense layer's output is a Gaussian process, but the
  product of branches is not (nor is the raw input or another activation's
  output). The closed-form activation kernels (and neural-tangents' stax,
  which fails with "input to the activation function must be Gaussian")
  need a Gaussian input, so both kernel back ends call this first.
  """
  def walk(node: Layer, gaussian: bool, where: str) -> bool:
    if isinstance(node, (Dense, Bias)):
      return True
    if isinstance(node, Activation):
      if not gaussian:
        raise ValueError(
            f"activation {node.name!r} at {where} reads a non-Gaussian input "
            "(a Product of branches, another activation or the raw input); its "
            "infinite-width kernel has no closed form and neural-tangents' stax "
            "rejects it. Put a Dense layer in between.")
      return False
    if isinstance(node, Serial):
      for i, sub in enumerate(node.layers):
        gaussian = walk(sub, gaussian, f"{where}/{i}")
      return gaussian
    if isinstance(node, Product):
      for i, b in enumerate(node.branches):
        walk(b, gaussian, f"{where}/branch{i}")
      return False
    raise TypeError(f"not an architecture node: {node!r}")
  walk(layer, False, "root")


def count_params(layer: Layer, in_features: int) -> int:
  """Number of trainable scalars of `layer` applied to `in_features` inputs."""
  def walk(node: Layer, fan_in: int) -> tuple[int, int]:
    if isinstance(node, Dense):
      return fan_in * node.features + (node.features if node.b_std else 0), node.features
    if isinstance(node, Bias):
      return node.features, node.features
    if isinstance(node, Activation):
      return 0, fan_in
    if isinstance(node, Serial):
      total = 0
      for sub in node.layers:
        n, fan_in = walk(sub, fan_in)
        total += n
      return total, fan_in
    counts = [walk(b, fan_in) for b in node.branches]
    return sum(c for c, _ in counts), counts[0][1]
  return walk(layer, in_features)[0]


def width_for_budget(make_spec: Callable[[int], Layer], in_features: int,
                     budget: int) -> int:
  """The widest width whose network (``make_spec(width)``) has at most
  `budget` parameters: how experiments match parameter counts."""
  def count(width):
    return count_params(make_spec(width), in_features)
  if count(1) > budget:
    raise ValueError(f"parameter budget {budget} is below the width-1 network's "
                     f"{count(1)} parameters")
  lo, hi = 1, budget
  while lo < hi:
    mid = (lo + hi + 1) // 2
    lo, hi = (mid, hi) if count(mid) <= budget else (lo, mid - 1)
  return lo


class _DenseLayer(nn.Module):
  spec: Dense
  parametrization: str

  @nn.compact
  def __call__(self, x):
    fan_in = x.shape[-1]
    s = self.spec
    ntk = self.parametrization == "ntk"
    w_init = (nn.initializers.normal(1.0) if ntk
              else nn.initializers.normal(s.w_std / math.sqrt(fan_in)))
    w = self.param("kernel", w_init, (fan_in, s.features))
    y = x @ w * (s.w_std / math.sqrt(fan_in) if ntk else 1.0)
    if s.b_std:
      y = y + _bias(self, s.features, s.b_std, s.bias_init, ntk)
    return y


def _bias(module: nn.Module, features: int, std: float, init: str, ntk: bool):
  """A trainable bias whose kernel contribution is std^2 in both parametrisations."""
  scale = std if ntk else 1.0
  value = 1.0 if ntk else std
  initializer = (nn.initializers.constant(value) if init == "ones"
                 else nn.initializers.normal(value))
  return scale * module.param("bias", initializer, (features,))


class _BiasLayer(nn.Module):
  spec: Bias
  parametrization: str

  @nn.compact
  def __call__(self, x):
    b = _bias(self, self.spec.features, self.spec.std, self.spec.init,
              self.parametrization == "ntk")
    return jnp.broadcast_to(b, x.shape[:-1] + (self.spec.features,))


class SpecNet(nn.Module):
  """Runs an architecture tree as a Flax module: ``z_BxD -> y_BxO``."""
  spec: Layer
  parametrization: str = "ntk"

  @nn.compact
  def __call__(self, z_BxD: jax.Array) -> jax.Array:
    if self.parametrization not in PARAMETRIZATIONS:
      raise ValueError(f"parametrization {self.parametrization!r} not in "
                       f"{PARAMETRIZATIONS}")
    chex.assert_rank(z_BxD, 2)
    x = z_BxD * math.sqrt(z_BxD.shape[-1])
    counter = itertools.count()

    def run(node: Layer, x):
      if isinstance(node, Dense):
        return _DenseLayer(node, self.parametrization, name=f"dense_{next(counter)}")(x)
      if isinstance(node, Bias):
        return _BiasLayer(node, self.parametrization, name=f"bias_{next(counter)}")(x)
      if isinstance(node, Activation):
        return ACTIVATIONS[node.name](x)
      if isinstance(node, Serial):
        for sub in node.layers:
          x = run(sub, x)
        return x
      y = run(node.branches[0], x)
      for branch in node.branches[1:]:
        y = y * run(branch, x)
      return y

    return run(self.spec, x)
