"""Wiring shared by the invariance experiments (irm_*, pirm_*): a train step
for an `Invariance` objective, training a classifier through the shared
loop, evaluating it per environment, and the common figures.

Parameters are ``{"model": ..., "dro_q": q_E}``; GroupDRO's online weights
``dro_q`` are updated by `irm.exponentiated_ascent`, everything else by
Adam, so the weights checkpoint and resume with the state.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlab.objectives import irm
from jaxlab.train import loop
from jaxlab.train.state import TrainState


def _l2(params: Any) -> jax.Array:
  return sum(jnp.sum(jnp.square(p)) for p in jax.tree.leaves(params))


def make_invariance_step(model: nn.Module, spec: irm.Invariance, num_envs: int,
                         l2_weight: float, input_key: str):
  """``train_step(state, batch, rng)``: the objective needs ``state.step``
  (penalty annealing), which a plain ``loss_fn`` does not see."""
  def loss_fn(params, batch, step):
    pred = model.apply({"params": params["model"]}, batch[input_key])
    return irm.invariance_loss(spec, pred, batch["y"], batch["env"], num_envs,
                               step, params["dro_q"],
                               regularizer=l2_weight * _l2(params["model"]))

  def train_step(state: TrainState, batch: Any, rng: jax.Array):
    del rng  # The data carries the randomness (drawn per step).
    (loss, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params, batch, state.step)
    metrics = {"loss": loss, "grad_norm": optax.tree.norm(grads["model"]), **aux}
    return state.apply_gradients(grads), metrics

  return train_step


def optimizer(lr: float, dro_eta: float) -> optax.GradientTransformation:
  return optax.multi_transform(
      {"model": optax.adam(lr), "dro_q": irm.exponentiated_ascent(dro_eta)},
      {"model": "model", "dro_q": "dro_q"})


@dataclasses.dataclass(frozen=True)
class TrainSpec:
  steps: int
  lr: float
  l2: float = 0.0
  seed: int = 0
  input_key: str = "x"


def train_classifier(workdir: str, model: nn.Module, spec: irm.Invariance,
                     data: Any, num_envs: int, sample_input: np.ndarray,
                     train: TrainSpec) -> Any:
  """Trains `model` on the full-batch source `data` through the shared loop;
  returns the model's parameters on the host."""
  def init_params(rng):
    return {"model": model.init(rng, jnp.asarray(sample_input))["params"],
            "dro_q": jnp.full((num_envs,), 1.0 / num_envs)}

  result = loop.train(
      workdir, init_params=init_params, tx=optimizer(train.lr, spec.dro_eta),
      data=data,
      config=loop.LoopConfig(num_steps=train.steps, batch_size=data.batch_size,
                             seed=train.seed, log_every=50, checkpoint_every=0,
                             progress=False, tensorboard=False),
      train_step=make_invariance_step(model, spec, num_envs, train.l2,
                                      train.input_key))
  return loop.params_to_numpy(result.state.params)["model"]


def evaluate(model: nn.Module, params: Any, batch: dict[str, np.ndarray],
             env_names: Sequence[str], input_key: str = "x",
             loss: str = "bce") -> dict[str, float]:
  """`irm.env_metrics` of the model on a batch tagged with environments."""
  pred = jax.jit(model.apply)({"params": params}, jnp.asarray(batch[input_key]))
  return irm.env_metrics(pred, batch["y"], batch["env"], tuple(env_names), loss)


def scan_fit(loss_fn: Callable[[Any, jax.Array], tuple[jax.Array, Any]],
             params: Any, tx: optax.GradientTransformation, num_steps: int
             ) -> Any:
  """Full-batch training as one jitted `lax.scan`: for tiny models (a linear
  SEM fit) run for thousands of steps, where the loop's per-step dispatch,
  host transfer and logging would cost more than the step itself."""
  def step(carry, t):
    p, opt = carry
    grads = jax.grad(lambda q: loss_fn(q, t)[0])(p)
    updates, opt = tx.update(grads, opt, p)
    return (optax.apply_updates(p, updates), opt), None

  (params, _), _ = jax.lax.scan(step, (params, tx.init(params)),
                                jnp.arange(num_steps))
  return params


def bar_figure(groups: Sequence[str], series: dict[str, tuple[list, list]],
               ylabel: str, title: str, hline: float | None = None):
  """Grouped bars with error bars: ``series[label] = (means, stds)`` per group."""
  import matplotlib.pyplot as plt
  fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(groups) * max(1, len(series)) / 2, 3.2))
  width = 0.8 / max(1, len(series))
  x = np.arange(len(groups))
  for i, (label, (means, stds)) in enumerate(series.items()):
    ax.bar(x + (i - (len(series) - 1) / 2) * width, means, width, yerr=stds,
           capsize=3, label=label)
  if hline is not None:
    ax.axhline(hline, color="k", lw=0.8, ls="--")
  ax.set_xticks(x, groups, rotation=15)
  ax.set_ylabel(ylabel)
  ax.set_title(title, fontsize=10)
  if len(series) > 1:
    ax.legend(fontsize=8)
  return fig


def subrun_dir(workdir: str, name: str) -> str:
  return os.path.join(workdir, "train", name)
