"""Infinite-width kernels of an architecture tree, two independent ways.

1. `kernels_of_u`: a closed-form recursion on the sphere. For unit inputs every
   kernel is a function of ``u = <z, z'>``; each node maps the pair (NNGP K,
   NTK Theta) and the diagonal variance q = K(z, z) to new ones:

   - Dense(w, b): K' = w^2 K + b^2, Theta' = K' + w^2 Theta, q' = w^2 q + b^2
   - Bias(s): K' = Theta' = q' = s^2
   - relu: with c = K / q and theta = arccos c,
     K' = q (sin theta + (pi - theta) c) / (2 pi),
     Theta' = Theta (pi - theta) / (2 pi), q' = q / 2
   - Product of independent branches: K = prod K_i,
     Theta = sum_i Theta_i prod_{j != i} K_j, q = prod q_i

2. `stax_layers` / `stax_kernels`: the same tree as neural-tangents stax
   layers (``FanOut`` -> ``parallel`` -> ``FanInProd``), whose
   analytic kernel_fn is the reference engine.

Both use the NTK parametrisation and refuse an activation after a product
(`arch.check_gaussian_activations`). The public per-model functions
(`relu_mlp_kernels`, `ccp_kernels`, `ncp_kernels`) run (1) on the trees from
`jaxlab.models`.
"""
from __future__ import annotations

import dataclasses
import math
import warnings

import chex
import jax
import jax.numpy as jnp

from jaxlab.models import arch, mlp, pinet


@dataclasses.dataclass(frozen=True)
class Kernels:
  """NNGP and NTK as arrays over the input pairs, plus the diagonal variance."""
  nngp: jax.Array
  ntk: jax.Array
  var: jax.Array


def arccos_kernel(order: int, u: jax.Array) -> jax.Array:
  """Cho & Saul's arc-cosine kernel on the sphere, normalised to k(1) = 1.

  order 0: (pi - arccos u) / pi; order 1: (sqrt(1 - u^2) + (pi - arccos u) u) / pi.
  """
  u = jnp.clip(u, -1.0, 1.0)
  theta = jnp.arccos(u)
  if order == 0:
    return (jnp.pi - theta) / jnp.pi
  if order == 1:
    return (jnp.sin(theta) + (jnp.pi - theta) * u) / jnp.pi
  raise ValueError(f"arc-cosine kernel order must be 0 or 1, got {order}")


def _relu(k: Kernels) -> Kernels:
  c = k.nngp / k.var
  return Kernels(nngp=k.var * arccos_kernel(1, c) / 2,
                 ntk=k.ntk * arccos_kernel(0, c) / 2,
                 var=k.var / 2)


_ANALYTIC_ACTIVATIONS = {"relu": _relu}


def _apply(node: arch.Layer, k: Kernels) -> Kernels:
  if isinstance(node, arch.Dense):
    nngp = node.w_std**2 * k.nngp + node.b_std**2
    return Kernels(nngp=nngp, ntk=nngp + node.w_std**2 * k.ntk,
                   var=node.w_std**2 * k.var + node.b_std**2)
  if isinstance(node, arch.Bias):
    const = jnp.full_like(k.nngp, node.std**2)
    return Kernels(nngp=const, ntk=const, var=jnp.asarray(node.std**2, k.nngp.dtype))
  if isinstance(node, arch.Activation):
    return _ANALYTIC_ACTIVATIONS[node.name](k)
  if isinstance(node, arch.Serial):
    for sub in node.layers:
      k = _apply(sub, k)
    return k
  outs = [_apply(b, k) for b in node.branches]
  nngp = math.prod(o.nngp for o in outs)
  ntk = sum(o.ntk * math.prod(p.nngp for j, p in enumerate(outs) if j != i)
            for i, o in enumerate(outs))
  return Kernels(nngp=nngp, ntk=ntk, var=math.prod(o.var for o in outs))


def kernels_of_u(spec: arch.Layer, u: jax.Array) -> Kernels:
  """NNGP and NTK of `spec` (NTK parametrisation) at u = <z, z'> in [-1, 1]."""
  arch.check_gaussian_activations(spec)
  u = jnp.asarray(u)
  return _apply(spec, Kernels(nngp=u, ntk=jnp.zeros_like(u),
                              var=jnp.ones((), u.dtype)))


def relu_mlp_kernels(u: jax.Array, depth: int = 1, b_std: float = 0.0) -> Kernels:
  """NNGP and NTK of the ReLU MLP with `depth` hidden layers (He-scaled).

  depth=1, b_std=0 gives K = kappa_1(u) and Theta = kappa_1(u) + u kappa_0(u).
  """
  return kernels_of_u(mlp.architecture(mlp.MLPConfig(depth=depth, width=1, b_std=b_std)), u)


def ccp_kernels(u: jax.Array, degree: int, activation: str | None = None) -> Kernels:
  """NNGP and NTK of a degree-N CCP; without activation K = u (u + 1)^(N-1),
  Theta = (N + 1) u (u + 1)^(N-1)."""
  return kernels_of_u(pinet.architecture(
      pinet.PiNetConfig("ccp", degree, width=1, activation=activation)), u)


def ncp_kernels(u: jax.Array, degree: int, beta: float = 1.0,
                activation: str | None = None) -> Kernels:
  """NNGP and NTK of a degree-N NCP (polynomials of degree N in u)."""
  return kernels_of_u(pinet.architecture(
      pinet.PiNetConfig("ncp", degree, width=1, activation=activation, beta=beta)), u)


def stax_layers(spec: arch.Layer):
  """The tree as a neural-tangents ``stax`` triple (init_fn, apply_fn, kernel_fn)."""
  from jaxlab.ntk.nt_compat import stax
  arch.check_gaussian_activations(spec)

  def build(node: arch.Layer):
    if isinstance(node, arch.Dense):
      return stax.Dense(node.features, W_std=node.w_std,
                        b_std=node.b_std if node.b_std else None)
    if isinstance(node, arch.Bias):
      return stax.Dense(node.features, W_std=0.0, b_std=node.std)
    if isinstance(node, arch.Activation):
      return {"relu": stax.Relu}[node.name]()
    if isinstance(node, arch.Serial):
      return stax.serial(*(build(sub) for sub in node.layers))
    return stax.serial(stax.FanOut(len(node.branches)),
                       stax.parallel(*(build(b) for b in node.branches)),
                       stax.FanInProd())

  return build(spec)


def stax_kernels(spec: arch.Layer, z1_NxD: jax.Array, z2_MxD: jax.Array | None = None
                 ) -> tuple[jax.Array, jax.Array]:
  """(NNGP, NTK) Gram matrices of `spec` from neural-tangents' analytic kernel_fn.

  Inputs are scaled by sqrt(d) like `arch.SpecNet` does, so on the unit sphere
  the result equals `kernels_of_u(spec, z1 @ z2.T)`.
  """
  chex.assert_rank(z1_NxD, 2)
  _, _, kernel_fn = stax_layers(spec)
  scale = math.sqrt(z1_NxD.shape[-1])
  x2 = None if z2_MxD is None else z2_MxD * scale
  with warnings.catch_warnings():
    # stax cannot verify that FanIn branches are independent; every branch of
    # our trees starts with its own Dense/Bias layer, which is what it asks.
    warnings.filterwarnings("ignore", message="`FanIn` layers assume independent")
    k = kernel_fn(z1_NxD * scale, x2, ("nngp", "ntk"))
  return k.nngp, k.ntk
