"""IRMv1 on Colored Digits: jaxlab's loop against a plain PyTorch loop.

Both train the IRM reference recipe (2-hidden-layer ReLU MLP, Adam, L2 on
all weights, penalty annealed in, loss rescaled by lambda) on the same data
source (labels and colours redrawn per step), for the same number of
full-batch steps, in one process. jaxlab's time is a whole
`jaxlab.train.loop.train` call as an experiment makes it (mesh, jit compile,
logging included); PyTorch's is its training loop. Both models are then
scored on the same e = 0.9 test set.

``jaxlab bench irm [--steps=501] [--repeats=3] [--hidden=390] [--torch-threads=N]``

On a crowded CPU, PyTorch's intra-op threads suffer from oversubscription
more than XLA's; ``--torch-threads=1`` shows how much of the gap that is.
"""
from __future__ import annotations

import argparse
import tempfile

import numpy as np

from jaxlab.benchmarks.common import markdown_table, median_seconds
from jaxlab.configs._colored_digits import (IRM_ANNEAL_STEP as ANNEAL, IRM_L2 as L2,
                                            IRM_LAMBDA as LAMBDA, IRM_LR as LR, IRM_STEPS)

DESCRIPTION = "IRMv1 Colored Digits training: jaxlab loop vs a plain PyTorch loop"



def _data(seed: int):
  import jax
  from jaxlab.data import colored_digits as cd
  (x, d), (tx, td) = cd.load_pool("sklearn", 0.3, seed=0)
  train_envs, test_envs = cd.irm_envs()
  train = cd.ColoredDigits(x, d, train_envs, seed=seed,
                           multiple_of=jax.device_count())
  test = cd.ColoredDigits(tx, td, test_envs, seed=10_000 + seed, redraw=False)
  return train, test


def torch_irm(train, steps: int, hidden: int, seed: int):
  """The IRM reference loop (colored_mnist/main.py), written plainly."""
  import torch
  from torch import nn
  torch.manual_seed(seed)
  dim = int(np.prod(train.batch(0)["x"].shape[1:]))
  mlp = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                      nn.ReLU(), nn.Linear(hidden, 1))
  for layer in mlp:
    if isinstance(layer, nn.Linear):
      nn.init.xavier_uniform_(layer.weight)
      nn.init.zeros_(layer.bias)
  opt = torch.optim.Adam(mlp.parameters(), lr=LR)
  bce = nn.functional.binary_cross_entropy_with_logits
  num_envs = len(train.envs)
  for step in range(steps):
    b = train.batch(step)
    x = torch.from_numpy(b["x"]).flatten(1)
    y = torch.from_numpy(b["y"])
    env = torch.from_numpy(b["env"])
    logits = mlp(x).squeeze(-1)
    nlls, penalties = [], []
    for e in range(num_envs):
      rows = env == e
      scale = torch.tensor(1.0, requires_grad=True)
      nll = bce(logits[rows] * scale, y[rows])
      grad = torch.autograd.grad(nll, [scale], create_graph=True)[0]
      nlls.append(nll)
      penalties.append(grad ** 2)
    weight_norm = sum(w.norm().pow(2) for w in mlp.parameters())
    loss = torch.stack(nlls).mean() + L2 * weight_norm
    weight = LAMBDA if step >= ANNEAL else 1.0
    loss = loss + weight * torch.stack(penalties).mean()
    if weight > 1.0:
      loss = loss / weight
    opt.zero_grad()
    loss.backward()
    opt.step()
  return mlp


def torch_accuracy(mlp, batch) -> float:
  import torch
  with torch.no_grad():
    logits = mlp(torch.from_numpy(batch["x"]).flatten(1)).squeeze(-1).numpy()
  return float(np.mean((logits > 0) == batch["y"]))


def jaxlab_irm(train, steps: int, hidden: int, seed: int):
  from jaxlab.experiments import _invariance as inv
  from jaxlab.models.classifiers import MLPClassifier, MLPConfig
  from jaxlab.objectives import irm
  model = MLPClassifier(MLPConfig((hidden, hidden)))
  spec = irm.Invariance("irm", penalty_weight=LAMBDA, anneal_step=ANNEAL)
  with tempfile.TemporaryDirectory() as workdir:
    params = inv.train_classifier(workdir, model, spec, train, len(train.envs),
                                  train.batch(0)["x"][:1],
                                  inv.TrainSpec(steps, LR, L2, seed))
  return model, params


def main(argv: list[str]) -> str:
  parser = argparse.ArgumentParser(prog="jaxlab bench irm", description=DESCRIPTION)
  parser.add_argument("--steps", type=int, default=IRM_STEPS)
  parser.add_argument("--repeats", type=int, default=3)
  parser.add_argument("--hidden", type=int, default=390)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--torch-threads", type=int, default=0,
                      help="torch.set_num_threads (0: PyTorch's default)")
  args = parser.parse_args(argv)
  if args.torch_threads < 0:
    raise ValueError(f"--torch-threads must be >= 0, got {args.torch_threads}")
  if args.torch_threads:
    import torch
    torch.set_num_threads(args.torch_threads)
  from jaxlab.experiments import _invariance as inv
  train, test = _data(args.seed)
  test_batch = test.batch(0)

  trained = {}
  def run_jax():
    trained["jax"] = jaxlab_irm(train, args.steps, args.hidden, args.seed)
  def run_torch():
    trained["torch"] = torch_irm(train, args.steps, args.hidden, args.seed)

  t_jax = median_seconds(run_jax, repeats=args.repeats, warmup=0)
  t_torch = median_seconds(run_torch, repeats=args.repeats, warmup=0)
  model, params = trained["jax"]
  jax_acc = inv.evaluate(model, params, test_batch, test.env_names)["acc_mean"]
  torch_acc = torch_accuracy(trained["torch"], test_batch)
  rows = [["jaxlab (shared loop, incl. compile)", t_jax, jax_acc, 1.0],
          ["PyTorch (plain loop)", t_torch, torch_acc, t_torch / t_jax]]
  import torch
  return (f"IRMv1 on Colored Digits: {args.steps} full-batch steps, "
          f"{train.batch_size} images, MLP {args.hidden}x{args.hidden}, "
          f"median of {args.repeats}, {torch.get_num_threads()} PyTorch threads\n\n"
          + markdown_table(["implementation", "seconds", "test acc (e=0.9)",
                            "time / jaxlab time"], rows))
