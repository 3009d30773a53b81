"""Meshes, shardings and global batches: the one place that knows about devices.

Data parallelism is expressed the modern way: one `jax.sharding.Mesh` whose
first axis is ``data``, `NamedSharding`s on global arrays, and `jax.jit` with
in/out shardings. Multi-host runs call `initialize_distributed()` once; every
process then feeds only its own rows through `global_batch`.
"""
from __future__ import annotations

import os
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

DATA_AXIS = "data"

# Environment variables a launcher sets for a multi-process run (one process
# per host, or several processes on one machine for tests).
ENV_COORDINATOR = "JAXLAB_COORDINATOR"      # "host:port" of process 0
ENV_NUM_PROCESSES = "JAXLAB_NUM_PROCESSES"
ENV_PROCESS_ID = "JAXLAB_PROCESS_ID"


def initialize_distributed() -> bool:
  """Joins a multi-process JAX runtime when the JAXLAB_* variables ask for one.

  On CPU the gloo collectives are switched on so that processes on one or
  several machines form one mesh. Returns True when a distributed runtime was
  started. Must run before any other JAX operation.
  """
  coordinator = os.environ.get(ENV_COORDINATOR)
  if not coordinator:
    return False
  num_processes = int(os.environ[ENV_NUM_PROCESSES])
  process_id = int(os.environ[ENV_PROCESS_ID])
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  jax.distributed.initialize(
      coordinator_address=coordinator,
      num_processes=num_processes,
      process_id=process_id,
  )
  return True


def make_mesh(num_devices: int = 0) -> Mesh:
  """A 1-D data-parallel mesh over the first `num_devices` devices (0 = all)."""
  devices = jax.devices()
  if num_devices < 0 or num_devices > len(devices):
    raise ValueError(
        f"num_devices={num_devices} but {len(devices)} devices are visible "
        f"({jax.default_backend()}); use 0 for all of them")
  if num_devices and jax.process_count() > 1 and num_devices != len(devices):
    raise ValueError(
        f"num_devices={num_devices}: a multi-process run must use all "
        f"{len(devices)} global devices")
  chosen = devices[:num_devices] if num_devices else devices
  return Mesh(np.asarray(chosen), (DATA_AXIS,))


def replicated(mesh: Mesh) -> NamedSharding:
  """Sharding for values every device holds whole (parameters, scalars)."""
  return NamedSharding(mesh, P())


def batch_sharding(mesh: Mesh) -> NamedSharding:
  """Sharding that splits the leading (batch) axis over the data axis."""
  return NamedSharding(mesh, P(DATA_AXIS))


def check_batch_size(global_batch_size: int, mesh: Mesh) -> None:
  """Raises a clear error when the batch cannot be split evenly."""
  n = mesh.shape[DATA_AXIS]
  if global_batch_size % n or global_batch_size % jax.process_count():
    raise ValueError(
        f"batch_size={global_batch_size} is not divisible by the {n} devices "
        f"of the data axis ({jax.process_count()} processes)")


def local_rows(global_batch_size: int) -> slice:
  """The rows of the global batch that this process reads and feeds."""
  per_process = global_batch_size // jax.process_count()
  start = jax.process_index() * per_process
  return slice(start, start + per_process)


def global_batch(mesh: Mesh, local_batch: Any) -> Any:
  """Assembles this process's rows into global arrays sharded over ``data``."""
  sharding = batch_sharding(mesh)
  return jax.tree.map(
      lambda x: jax.make_array_from_process_local_data(sharding, np.asarray(x)),
      local_batch)
