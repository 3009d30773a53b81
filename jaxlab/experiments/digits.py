"""Digits: train a small CNN on the bundled 8x8 digits with the shared loop.

Not a paper result: it proves the foundation end to end (sharded data
parallelism, checkpoints, resume, metrics, figures) on a real data set.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable

import jax
import ml_collections
import numpy as np
import optax

from jaxlab.data import digits as digits_data
from jaxlab.data.sources import ArraySource
from jaxlab.experiments import common
from jaxlab.models.cnn import CNNConfig, SmallCNN
from jaxlab.objectives.classification import accuracy, cross_entropy
from jaxlab.train.loop import LoopConfig, TrainResult, train

PAPER = "foundation"
DESCRIPTION = "small CNN on scikit-learn's bundled 8x8 digits: proves the sharded, resumable loop"


@dataclasses.dataclass(frozen=True)
class DigitsTask:
  """Everything the loop needs for one seed of the digits experiment."""
  init_params: Callable[[jax.Array], Any]
  tx: optax.GradientTransformation
  data: ArraySource
  loss_fn: Callable
  eval_fn: Callable[[Any], dict[str, jax.Array]]
  loop: LoopConfig


def build_task(config: ml_collections.ConfigDict, seed: int,
               progress: bool = True) -> DigitsTask:
  train_set, test_set = digits_data.train_test_split(config.test_fraction,
                                                     config.split_seed)
  model = SmallCNN(CNNConfig(features=tuple(config.model.features),
                             hidden=config.model.hidden))
  sample = train_set["image"][:1]

  def loss_fn(params, batch, rng):
    del rng
    logits = model.apply({"params": params}, batch["image"])
    return cross_entropy(logits, batch["label"]), {"acc": accuracy(logits, batch["label"])}

  @jax.jit
  def evaluate(params, images, labels):
    logits = model.apply({"params": params}, images)
    return cross_entropy(logits, labels), accuracy(logits, labels)

  def eval_fn(params):
    test_loss, test_acc = evaluate(params, test_set["image"], test_set["label"])
    _, train_acc = evaluate(params, train_set["image"], train_set["label"])
    return {"test_loss": test_loss, "test_acc": test_acc, "train_acc": train_acc}

  loop = LoopConfig(seed=seed, progress=progress, description=f"digits seed {seed}",
                    **config.train.to_dict())
  return DigitsTask(
      init_params=lambda rng: model.init(rng, sample)["params"],
      tx=optax.adamw(config.learning_rate, weight_decay=config.weight_decay),
      data=ArraySource(train_set, loop.batch_size, seed=seed),
      loss_fn=loss_fn, eval_fn=eval_fn, loop=loop)


def train_one_seed(config: ml_collections.ConfigDict, workdir: str, seed: int,
                   progress: bool = True) -> TrainResult:
  """Trains one seed into `workdir` (resuming if it holds checkpoints)."""
  task = build_task(config, seed, progress)
  return train(workdir, init_params=task.init_params, tx=task.tx, data=task.data,
               config=task.loop, loss_fn=task.loss_fn, eval_fn=task.eval_fn)


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, float]:
  runs = [train_one_seed(config, os.path.join(workdir, f"seed_{s}"), s)
          for s in range(config.num_seeds)]
  per_seed = {
      key: [r.final_eval[f"eval/{key}"] for r in runs]
      for key in ("test_acc", "train_acc", "test_loss")
  }
  per_seed["final_train_loss"] = [
      [row["loss"] for row in r.history if "loss" in row][-1] for r in runs]
  results = common.mean_std(per_seed)
  results["num_train"] = int(round(len(digits_data.load_digits_arrays()[1]) *
                                   (1 - config.test_fraction)))
  plot_curves(runs, workdir)
  return common.write_results(workdir, "digits", results, config)


def plot_curves(runs: list[TrainResult], workdir: str) -> None:
  """Training loss and test accuracy against step, one line per seed."""
  common.figure_backend()
  import matplotlib.pyplot as plt
  fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2))
  for seed, r in enumerate(runs):
    steps = [row["step"] for row in r.history if "loss" in row]
    ax_loss.plot(steps, [row["loss"] for row in r.history if "loss" in row],
                 lw=0.8, label=f"seed {seed}")
    ev = [row for row in r.history if "eval/test_acc" in row]
    ax_acc.plot([row["step"] for row in ev], [row["eval/test_acc"] for row in ev],
                marker="o", ms=3, label=f"seed {seed}")
  ax_loss.set(xlabel="step", ylabel="train loss", yscale="log", title="training loss")
  ax_acc.set(xlabel="step", ylabel="test accuracy", title="test accuracy")
  ax_acc.legend()
  fig.tight_layout()
  common.save_figure(fig, workdir, "digits_curves")


def summarize(results: dict[str, float]) -> str:
  return (
      "Not a paper claim: the foundation's proof. A small CNN trained with the "
      "shared sharded loop on the bundled 8x8 digits "
      f"({results['num_train']} training images) reaches "
      f"{100 * results['test_acc']:.1f} ± {100 * results['test_acc_std']:.1f} % "
      f"test accuracy (train {100 * results['train_acc']:.1f} %).")
