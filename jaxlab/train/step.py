"""Pure, un-jitted train steps built from a loss function.

A loss function has the signature ``loss_fn(params, batch, rng) -> (loss,
aux)`` where `aux` is a dict of scalar metrics. The loop jits the step once
with shardings and donation; nothing here knows about devices.
"""
from __future__ import annotations

from typing import Any, Callable

import jax
import optax

from jaxlab.train.state import TrainState

LossFn = Callable[[Any, Any, jax.Array], tuple[jax.Array, dict[str, jax.Array]]]
TrainStep = Callable[[TrainState, Any, jax.Array], tuple[TrainState, dict[str, jax.Array]]]


def make_train_step(loss_fn: LossFn) -> TrainStep:
  """Returns ``train_step(state, batch, rng) -> (state, metrics)``.

  Randomness is ``fold_in(rng, state.step)``, so a resumed run draws exactly
  what an uninterrupted one would. Metrics hold the loss, the auxiliary
  scalars and the global gradient norm.
  """
  def train_step(state: TrainState, batch: Any, rng: jax.Array):
    step_rng = jax.random.fold_in(rng, state.step)
    (loss, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params, batch, step_rng)
    metrics = {"loss": loss, "grad_norm": optax.tree.norm(grads), **aux}
    return state.apply_gradients(grads), metrics

  return train_step
