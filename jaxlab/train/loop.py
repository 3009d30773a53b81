"""The shared training loop: jit once, shard, checkpoint, log, resume.

Every experiment trains through `train`. It owns the side effects (devices,
files, progress bar); the step it runs is the pure function from `step.py`.
Determinism is by construction: the batch of step ``s`` is ``data.batch(s,
rows)`` and its randomness is ``fold_in(rng, s)``, so a run killed at any
point and re-run with the same workdir ends with bit-identical parameters.
"""
from __future__ import annotations

import dataclasses
import math
import os
from typing import Any, Callable, Protocol

import jax
import numpy as np
import optax
from tqdm.auto import tqdm

from jaxlab.train import parallel
from jaxlab.train.checkpoint import Checkpointer
from jaxlab.train.metrics import MetricWriter, read_metrics
from jaxlab.train.state import Params, TrainState, create_train_state
from jaxlab.train.step import LossFn, TrainStep, make_train_step


@dataclasses.dataclass(frozen=True)
class LoopConfig:
  """How long to train and how often to log, evaluate and checkpoint.

  `batch_size` is the global batch (all devices, all processes). An interval
  of 0 means "only at the end" for eval and "never" for checkpoints.
  """
  num_steps: int
  batch_size: int
  seed: int = 0
  num_devices: int = 0
  log_every: int = 10
  eval_every: int = 0
  checkpoint_every: int = 100
  keep_checkpoints: int = 3
  progress: bool = True
  tensorboard: bool = True
  description: str = "train"

  def __post_init__(self):
    for name in ("num_steps", "batch_size"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
    for name in ("log_every", "eval_every", "checkpoint_every", "num_devices"):
      if getattr(self, name) < 0:
        raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


class DataSource(Protocol):
  """Random access to global batches: what `train` reads from.

  ``batch(step, rows)`` returns the given rows of global batch `step` as a
  pytree of NumPy arrays with a leading batch axis. Being a function of the
  step makes the data position part of the step counter, so resuming needs
  no iterator state beyond it.
  """

  def batch(self, step: int, rows: slice) -> Any: ...


@dataclasses.dataclass
class TrainResult:
  state: TrainState
  history: list[dict]          # every logged row, resumed parts included
  final_eval: dict[str, float]
  resumed_from: int            # 0 for a fresh run


class NonFiniteLossError(FloatingPointError):
  """The loss became NaN or Inf; the message names the step."""


def _abstract(state: TrainState) -> Any:
  return jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding),
      state)


def _check_finite(step: int, metrics: dict[str, float]) -> None:
  loss = metrics["loss"]
  if not math.isfinite(loss):
    raise NonFiniteLossError(
        f"loss became {loss} at step {step}; stopping (last good checkpoint "
        f"is kept; lower the learning rate or check the data)")


@dataclasses.dataclass
class CompiledStep:
  """A train state on its devices and the step jitted for it (what `train`
  runs, and what benchmarks time)."""
  mesh: jax.sharding.Mesh
  state: TrainState
  shardings: Any
  step: Callable[[TrainState, Any, jax.Array], tuple[TrainState, dict]]
  rng: jax.Array

  def global_batch(self, data: DataSource, step: int, batch_size: int) -> Any:
    """This process's rows of batch `step`, as global sharded arrays."""
    return parallel.global_batch(self.mesh, data.batch(step, parallel.local_rows(batch_size)))


def compile_step(*,
                 init_params: Callable[[jax.Array], Params],
                 tx: optax.GradientTransformation,
                 config: LoopConfig,
                 loss_fn: LossFn | None = None,
                 train_step: TrainStep | None = None) -> CompiledStep:
  """Builds the mesh, initialises the sharded state and jits the step once
  with in/out shardings and the state donated."""
  if (loss_fn is None) == (train_step is None):
    raise ValueError("give exactly one of loss_fn or train_step")
  step_fn = train_step or make_train_step(loss_fn)
  mesh = parallel.make_mesh(config.num_devices)
  parallel.check_batch_size(config.batch_size, mesh)
  init_rng, step_rng = jax.random.split(jax.random.PRNGKey(config.seed))
  state, shardings = create_train_state(init_params, tx, init_rng, mesh)
  jitted = jax.jit(
      step_fn,
      in_shardings=(shardings, parallel.batch_sharding(mesh),
                    parallel.replicated(mesh)),
      out_shardings=(shardings, parallel.replicated(mesh)),
      donate_argnums=(0,))
  return CompiledStep(mesh=mesh, state=state, shardings=shardings, step=jitted,
                      rng=jax.device_put(step_rng, parallel.replicated(mesh)))


def train(workdir: str,
          *,
          init_params: Callable[[jax.Array], Params],
          tx: optax.GradientTransformation,
          data: DataSource,
          config: LoopConfig,
          loss_fn: LossFn | None = None,
          train_step: TrainStep | None = None,
          eval_fn: Callable[[Params], dict[str, float]] | None = None,
          ) -> TrainResult:
  """Trains from scratch, or resumes from the newest good checkpoint in workdir.

  Give either `loss_fn` (wrapped by `make_train_step`) or a ready
  `train_step(state, batch, rng) -> (state, metrics)` whose metrics include
  ``loss``. `eval_fn(params)` runs every `eval_every` steps and at the end.
  """
  compiled = compile_step(init_params=init_params, tx=tx, config=config,
                          loss_fn=loss_fn, train_step=train_step)
  os.makedirs(workdir, exist_ok=True)
  state = compiled.state
  ckpt = (Checkpointer(os.path.join(workdir, "checkpoints"),
                       keep=config.keep_checkpoints)
          if config.checkpoint_every else None)
  start = 0
  if ckpt is not None:
    restored = ckpt.restore_latest(_abstract(state))
    if restored is not None:
      state, meta = restored
      start = int(meta["step"])

  writer = MetricWriter(workdir, tensorboard=config.tensorboard)
  show = config.progress and jax.process_index() == 0
  bar = tqdm(total=config.num_steps, initial=start, desc=config.description,
             disable=not show, dynamic_ncols=True, leave=False)

  def run_eval(step: int) -> dict[str, float]:
    if eval_fn is None:
      return {}
    result = {f"eval/{k}": float(v) for k, v in eval_fn(state.params).items()}
    writer.write(step, result)
    return result

  pending: tuple[int, Any] | None = None   # (step, device metrics) not yet read

  def flush() -> None:
    nonlocal pending
    if pending is None:
      return
    done_step, device_metrics = pending
    pending = None
    host = {k: float(v) for k, v in jax.device_get(device_metrics).items()}
    _check_finite(done_step, host)
    if done_step % config.log_every == 0 or done_step == config.num_steps:
      writer.write(done_step, host)
    bar.set_postfix(loss=f"{host['loss']:.4f}", refresh=False)

  try:
    for step in range(start, config.num_steps):
      batch = compiled.global_batch(data, step, config.batch_size)
      state, metrics = compiled.step(state, batch, compiled.rng)
      flush()                      # reads step-1's metrics while step runs
      pending = (step + 1, metrics)
      bar.update(1)
      done = step + 1
      at_eval = config.eval_every and done % config.eval_every == 0
      at_ckpt = ckpt is not None and done % config.checkpoint_every == 0
      if at_eval or at_ckpt:
        flush()                    # never checkpoint or evaluate a NaN state
      if at_ckpt:
        ckpt.save(done, state, {"step": done, "data_position": done})
      if at_eval and done != config.num_steps:
        run_eval(done)
    flush()
    if ckpt is not None and config.num_steps not in ckpt.steps():
      ckpt.save(config.num_steps, state,
                {"step": config.num_steps, "data_position": config.num_steps})
    final_eval = run_eval(config.num_steps)
  finally:
    bar.close()
    writer.close()
    if ckpt is not None:
      ckpt.close()
  return TrainResult(state=state, history=read_metrics(workdir),
                     final_eval=final_eval, resumed_from=start)


def params_to_numpy(params: Params) -> Params:
  """Host copy of (possibly sharded) parameters, e.g. for comparisons."""
  return jax.tree.map(lambda x: np.asarray(jax.device_get(x)), params)
