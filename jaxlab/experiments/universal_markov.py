"""Universal prediction on in-context Markov chains (arXiv 2307.07843).

Every sequence comes from its own order-k chain with Dirichlet(alpha) rows,
so a predictor must identify the source inside the context. The
Bayes-optimal predictor is add-alpha counting of the right order (KT for
alpha = 1/2); CTW mixes all orders up to its depth without knowing k; the
true-source predictor (the chain itself) sets the entropy-rate floor that no
predictor can reach in finite context. A small Transformer trained on fresh
chains is scored on the same held-out sequences as all of them, overall and
position by position (how fast each identifies the source in context).
"""
from __future__ import annotations

from typing import Any

import ml_collections
import numpy as np
from tqdm.auto import tqdm

from jaxlab.experiments import _universal as U
from jaxlab.experiments import common

PAPER = "universal"
DESCRIPTION = ("Transformer vs KT, CTW and the true source on in-context order-k "
               "Markov chains: excess log-loss and per-position loss")


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, float]:
  per_seed = [common.cached(workdir, f"seed_{s}",
                            lambda s=s: U.in_context_subrun(config, workdir, s, f"seed_{s}"))
              for s in tqdm(config.seeds, desc="universal_markov seeds")]
  scalars = [{k: v for k, v in r.items() if k.startswith("loss/") or k == "entropy_rate"}
             for r in per_seed]
  for r in scalars:
    for k in [k for k in r if k.startswith("loss/")]:
      r[k.replace("loss/", "excess/")] = r[k] - r["entropy_rate"]
    r["gap_to_bayes"] = r["loss/transformer"] - r[f"loss/kt{config.order}"]
  results = U.per_seed_stats(scalars)
  results["num_seeds"] = len(config.seeds)
  results["order"] = config.order
  results["train_tokens"] = (config.train.num_steps * config.train.batch_size
                             * config.seq_len)
  plot(per_seed, config, workdir)
  return common.write_results(workdir, "universal_markov", results, config)


def plot(per_seed: list[dict[str, Any]], config: ml_collections.ConfigDict,
         workdir: str) -> None:
  """Per-position loss in context, and the gap to Bayes against training tokens."""
  common.figure_backend()
  import matplotlib.pyplot as plt
  fig, (ax_pos, ax_curve) = plt.subplots(1, 2, figsize=(10, 3.6))
  curves = U.position_curves([{k[len("positions/"):]: v for k, v in r.items()
                               if k.startswith("positions/")} for r in per_seed])
  U.plot_positions(ax_pos, curves, skip=max(config.order, 1),
                   smooth=max(1, config.seq_len // 25))
  ax_pos.set_title(f"in-context order-{config.order} chains: loss by position")
  tokens_per_step = config.train.batch_size * config.seq_len
  bayes = f"loss/kt{config.order}"
  for seed, r in zip(config.seeds, per_seed):   # each seed has its own test set
    ax_curve.plot(np.asarray(r["curve_steps"]) * tokens_per_step,
                  np.subtract(r["curve_loss"], r[bayes]), marker="o", ms=3, lw=1,
                  label=f"Transformer seed {seed}")
  ax_curve.axhline(0.0, ls="--", lw=1, color="C3", label=f"kt{config.order} (Bayes)")
  ax_curve.set(xscale="log", xlabel="training tokens",
               ylabel="test loss - Bayes loss (nats)",
               title="Transformer's gap to Bayes while training")
  ax_curve.xaxis.set_minor_formatter(plt.NullFormatter())   # no crowded labels
  ax_curve.legend(fontsize=7)
  fig.tight_layout()
  common.save_figure(fig, workdir, "universal_markov")


def summarize(results: dict[str, float]) -> str:
  bayes = f"loss/kt{int(results['order'])}"
  ctw = sorted(k for k in results if k.startswith("loss/ctw") and not k.endswith("_std"))
  ctw_text = ", ".join(f"CTW depth {k[len('loss/ctw'):]} {results[k]:.4f}" for k in ctw)
  return (
      "The paper claims a Transformer's log-loss approaches the entropy rate of "
      "the source. On in-context Markov chains (a fresh chain per sequence) the "
      "reachable limit at finite context is the Bayes predictor (KT counting of "
      f"the right order). Over {int(results['num_seeds'])} seeds the Transformer "
      f"reaches {results['loss/transformer']:.4f} ± {results['loss/transformer_std']:.4f} "
      f"nats/token against Bayes {results[bayes]:.4f} "
      f"(gap {results['gap_to_bayes']:+.4f} ± {results['gap_to_bayes_std']:.4f}), "
      f"{ctw_text}, the true chain {results['loss/oracle']:.4f} and the mean "
      f"entropy rate {results['entropy_rate']:.4f}; its excess over the entropy "
      f"rate is {results['excess/transformer']:.4f} nats after "
      f"{int(results['train_tokens']):,} training tokens.")
