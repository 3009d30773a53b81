"""Data efficiency of universal prediction (arXiv 2307.07843).

One fixed stationary source; a Transformer trained on N tokens from it (a
fixed pool, revisited for a fixed number of steps) is compared with the KT
predictors of several orders fitted on the same N tokens, all scored on the
same held-out sequences. Excess log-loss against N (over the true-source
predictor on the same test tokens, whose mean estimates the entropy rate
without the test sample's own fluctuation) shows the finite-data term of the paper's non-asymptotic analysis: KT of the
true order follows Rissanen's ``(#params / 2) log N / N``; the question is how
close the Transformer comes at each N.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import ml_collections
import numpy as np
from tqdm.auto import tqdm

from jaxlab.data import hmm, markov
from jaxlab.experiments import _universal as U
from jaxlab.experiments import common
from jaxlab.universal.kt import context_counts, kt_log_loss

PAPER = "universal"
DESCRIPTION = ("excess log-loss over the true source vs training tokens: Transformer "
               "vs KT fitted on the same tokens, one fixed Markov/HMM source")


@dataclasses.dataclass(frozen=True)
class FixedSource:
  """A stationary source: ``sample(key, n) -> tokens [n, seq_len]``, its
  true-source log-loss and its entropy rate (exact for Markov chains)."""
  sample: Callable[[jax.Array, int], np.ndarray]
  true_log_loss: Callable[[np.ndarray], np.ndarray]
  entropy_rate: float


def fixed_source(config: ml_collections.ConfigDict) -> FixedSource:
  key = jax.random.PRNGKey(config.source_seed)
  length = config.seq_len
  if config.source == "markov":
    P = markov.random_chain(key, config.order, config.alphabet, config.alpha)
    return FixedSource(
        lambda k, n: np.asarray(markov.sample(k, P, n, length)),
        lambda x: np.asarray(markov.true_log_loss(x, markov.flat_transitions(P)[None])),
        float(markov.entropy_rate(P)))
  if config.source == "hmm":
    Q, E = hmm.random_hmm(key, config.hidden, config.alphabet, config.alpha, config.alpha)
    return FixedSource(
        lambda k, n: np.asarray(hmm.sample(k, Q, E, n, length)),
        lambda x: np.asarray(hmm.true_log_loss(x, Q, E)),
        float(hmm.entropy_rate_estimate(jax.random.fold_in(key, 1), Q, E)))
  raise ValueError(f"unknown source {config.source!r}; known: markov, hmm")


@dataclasses.dataclass(frozen=True)
class PoolSource:
  """Batches drawn with replacement from a fixed pool of training sequences
  (a `DataSource` for the loop: the batch of a step depends only on it)."""
  pool_NxT: np.ndarray
  batch_size: int
  seed: int

  def batch(self, step: int, rows: slice) -> dict:
    idx = np.random.default_rng([self.seed, step]).integers(
        0, len(self.pool_NxT), self.batch_size)
    return {"tokens": self.pool_NxT[idx][rows]}


def subrun(config: ml_collections.ConfigDict, source: FixedSource, workdir: str,
           seed: int, num_tokens: int) -> dict[str, float]:
  """Train on `num_tokens` tokens; score Transformer, fitted KT and the source."""
  if num_tokens < config.seq_len:
    raise ValueError(f"train_tokens {num_tokens} is less than one sequence "
                     f"({config.seq_len} tokens)")
  key = jax.random.fold_in(jax.random.PRNGKey(seed), num_tokens)
  pool = source.sample(key, num_tokens // config.seq_len)
  test = source.sample(jax.random.fold_in(jax.random.PRNGKey(seed), 1 << 30),
                       config.num_test)
  skip = max(max(config.kt_orders), 1)
  model_cfg = U.transformer_config(config.model, config.alphabet, config.seq_len)
  name = f"n{num_tokens}_seed_{seed}"
  _, transformer_loss = U.train_transformer(
      U.sub_workdir(workdir, name), config, model_cfg,
      PoolSource(pool, config.train.batch_size, seed), seed, test, skip, name)
  losses = {"transformer": transformer_loss, "oracle": source.true_log_loss(test)}
  for k in config.kt_orders:
    losses[f"kt{k}"] = kt_log_loss(test, k, config.alphabet,
                                   prior_counts_SxA=context_counts(pool, k, config.alphabet))
  return {name: float(v[:, skip:].mean()) for name, v in losses.items()}


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, float]:
  source = fixed_source(config)
  jobs = [(n, s) for n in config.train_tokens for s in config.seeds]
  samples: dict[str, list[float]] = {}
  for n, s in tqdm(jobs, desc="universal_data runs"):
    r = common.cached(workdir, f"n{n}_seed_{s}",
                      lambda n=n, s=s: subrun(config, source, workdir, s, n))
    for name, loss in r.items():
      samples.setdefault(f"loss/{name}/{n}", []).append(loss)
      if name != "oracle":   # regret against the true source on the same tokens
        samples.setdefault(f"excess/{name}/{n}", []).append(loss - r["oracle"])
  results = common.mean_std(samples)
  results["entropy_rate"] = source.entropy_rate
  results["num_seeds"] = len(config.seeds)
  plot(results, config, workdir)
  return common.write_results(workdir, "universal_data", results, config)


def _predictors(results: dict[str, float]) -> list[str]:
  return sorted({k.split("/")[1] for k in results if k.startswith("excess/")})


def plot(results: dict[str, float], config: ml_collections.ConfigDict,
         workdir: str) -> None:
  common.figure_backend()
  import matplotlib.pyplot as plt
  fig, ax = plt.subplots(figsize=(5.5, 3.8))
  n = np.asarray(config.train_tokens)
  for name in _predictors(results):
    mean = np.array([results[f"excess/{name}/{t}"] for t in n])
    std = np.array([results[f"excess/{name}/{t}_std"] for t in n])
    ax.errorbar(n, np.maximum(mean, 1e-4), yerr=std, marker="o", ms=3, capsize=2,
                label=name, ls="--" if name.startswith("kt") else "-")
  ax.set(xscale="log", yscale="log", xlabel="training tokens N",
         ylabel="excess log-loss over the true source (nats)",
         title=f"{config.source} source, entropy rate {results['entropy_rate']:.3f}")
  ax.legend(fontsize=7)
  common.save_figure(fig, workdir, "universal_data")


def summarize(results: dict[str, float]) -> str:
  sizes = sorted({int(k.split("/")[2]) for k in results
                  if k.startswith("excess/transformer/") and not k.endswith("_std")})
  kts = [p for p in _predictors(results) if p.startswith("kt")]

  def best_kt(n):
    return min(kts, key=lambda p: results[f"excess/{p}/{n}"])

  rows = "; ".join(
      f"N={n}: Transformer {results[f'excess/transformer/{n}']:.4f} ± "
      f"{results[f'excess/transformer/{n}_std']:.4f}, best KT ({best_kt(n)}) "
      f"{results[f'excess/{best_kt(n)}/{n}']:.4f}" for n in sizes)
  return (
      "The paper's non-asymptotic analysis splits the excess log-loss into a "
      "context term and a finite-data term. Trained on N tokens of one fixed "
      f"source (entropy rate {results['entropy_rate']:.4f} nats), the excess "
      "log-loss over the true source on the same test tokens (nats/token, mean ± "
      f"std over {int(results['num_seeds'])} seeds) is: {rows}.")
