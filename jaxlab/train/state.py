"""The training state pytree and its sharded initialisation."""
from __future__ import annotations

from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import struct
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

Params = Any


class TrainState(struct.PyTreeNode):
  """Step counter, parameters and optimizer state; `tx` is static."""
  step: jax.Array
  params: Params
  opt_state: optax.OptState
  tx: optax.GradientTransformation = struct.field(pytree_node=False)

  def apply_gradients(self, grads: Params) -> "TrainState":
    updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
    return self.replace(step=self.step + 1,
                        params=optax.apply_updates(self.params, updates),
                        opt_state=opt_state)


def _spec_on_mesh(spec: Any, mesh: Mesh) -> NamedSharding:
  """Keeps only the mesh axes a spec names that this mesh has; the rest replicate."""
  if not isinstance(spec, P):
    return NamedSharding(mesh, P())
  axes = tuple(a if a in mesh.axis_names else None for a in spec)
  return NamedSharding(mesh, P(*axes))


def state_shardings(abstract_state: Any, mesh: Mesh) -> Any:
  """Shardings for a (possibly `nn.Partitioned`-boxed) abstract state.

  Parameters annotated with `nn.with_partitioning` keep their named axes where
  the mesh has them (fsdp/tensor meshes); everything else is replicated, which
  is plain data parallelism.
  """
  specs = nn.get_partition_spec(abstract_state)
  return jax.tree.map(lambda s: _spec_on_mesh(s, mesh), specs,
                      is_leaf=lambda x: isinstance(x, P) or x is None)


def create_train_state(init_params: Callable[[jax.Array], Params],
                       tx: optax.GradientTransformation,
                       rng: jax.Array,
                       mesh: Mesh) -> tuple[TrainState, Any]:
  """Initialises the state directly into its shardings.

  The shapes come from `jax.eval_shape` (nothing is materialised twice), and
  the jitted init writes each leaf straight to the devices that own it.
  Returns the state and its shardings (the loop's in/out shardings).
  """
  def init(rng):
    params = init_params(rng)
    return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                      opt_state=tx.init(nn.meta.unbox(params)), tx=tx)

  abstract = jax.eval_shape(init, rng)
  shardings = nn.meta.unbox(state_shardings(abstract, mesh))

  def init_unboxed(rng):
    state = init(rng)
    return state.replace(params=nn.meta.unbox(state.params))

  state = jax.jit(init_unboxed, out_shardings=shardings)(rng)
  return state, shardings
