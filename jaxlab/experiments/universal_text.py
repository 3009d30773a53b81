"""Universal prediction on real text, byte by byte (arXiv 2307.07843).

Real text is the stationary ergodic source whose entropy rate nobody knows;
universal codes bound it from above. A byte-level Transformer trained on
the training part of the corpus is scored on evenly spaced test windows;
KT of orders 0-2 fitted on the same training bytes is scored on the same
windows and positions; gzip, bz2 and lzma give their conditional rate on the
test bytes given the training bytes (``|C(train + test)| - |C(train)|``), so
every predictor has seen the same data. All rates in bits per byte.
"""
from __future__ import annotations

import math

import ml_collections
import numpy as np
from tqdm.auto import tqdm

from jaxlab.data import text
from jaxlab.experiments import _universal as U
from jaxlab.experiments import common
from jaxlab.universal.compress import COMPRESSORS
from jaxlab.universal.kt import context_counts, kt_log_loss

PAPER = "universal"
DESCRIPTION = ("byte-level Transformer on the pydoc corpus vs KT fitted on the same "
               "bytes and gzip/bz2/lzma: bits per byte")

_BITS = 1 / math.log(2)


def conditional_bits_per_byte(train: bytes, test: bytes, compressor: str) -> float:
  """Extra compressed bits per test byte once the training bytes are coded."""
  compress = COMPRESSORS[compressor]
  return 8.0 * (len(compress(train + test)) - len(compress(train))) / len(test)


def subrun(config: ml_collections.ConfigDict, split: text.Split, workdir: str,
           seed: int) -> dict[str, float]:
  windows = text.eval_windows(split.test, config.seq_len, config.num_eval)
  skip = max(max(config.kt_orders), 1)
  model_cfg = U.transformer_config(config.model, text.VOCAB_SIZE, config.seq_len + 1)
  name = f"seed_{seed}"
  _, loss = U.train_transformer(
      U.sub_workdir(workdir, name), config, model_cfg,
      text.TextSource(split.train, config.seq_len, config.train.batch_size, seed),
      seed, windows, skip, name)
  return {"transformer": float(loss[:, skip:].mean() * _BITS),
          "transformer_positions": (loss[:, 1:].mean(0) * _BITS).tolist()}


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, float]:
  split = text.load_split(config.corpus, config.test_fraction)
  per_seed = [common.cached(workdir, f"seed_{s}", lambda s=s: subrun(config, split, workdir, s))
              for s in tqdm(config.seeds, desc="universal_text seeds")]
  results = common.mean_std({"bits_per_byte/transformer": [r["transformer"] for r in per_seed]})
  windows = text.eval_windows(split.test, config.seq_len, config.num_eval)
  skip = max(max(config.kt_orders), 1)
  kt_positions = {}
  for k in config.kt_orders:
    loss = kt_log_loss(windows, k, text.VOCAB_SIZE,
                       prior_counts_SxA=context_counts(split.train[None], k, text.VOCAB_SIZE))
    results[f"bits_per_byte/kt{k}"] = float(loss[:, skip:].mean() * _BITS)
    kt_positions[f"kt{k}"] = loss[:, 1:].mean(0) * _BITS
  train_bytes, test_bytes = split.train.tobytes(), split.test.tobytes()
  for name in config.compressors:
    results[f"bits_per_byte/{name}"] = conditional_bits_per_byte(train_bytes, test_bytes, name)
  results["num_seeds"] = len(config.seeds)
  results["train_bytes"] = len(split.train)
  results["test_bytes"] = len(split.test)
  plot(per_seed, kt_positions, results, config, workdir)
  return common.write_results(workdir, "universal_text", results, config)


def plot(per_seed, kt_positions, results, config, workdir) -> None:
  """Bits per byte by position in the window, with the compressors' rates."""
  common.figure_backend()
  import matplotlib.pyplot as plt
  fig, ax = plt.subplots(figsize=(6, 3.8))
  positions = np.arange(1, config.seq_len + 1)
  ax.plot(positions, np.mean([r["transformer_positions"] for r in per_seed], 0),
          label="Transformer", lw=1.2)
  for name, curve in kt_positions.items():
    ax.plot(positions, curve, ls="--", lw=1, label=f"{name} (fitted)")
  for i, name in enumerate(config.compressors):
    ax.axhline(results[f"bits_per_byte/{name}"], color=f"C{5 + i}", ls=":",
               label=f"{name} (conditional)")
  ax.set(xlabel="position in the window", ylabel="bits per byte",
         title=f"{config.corpus} corpus, byte level")
  ax.legend(fontsize=7)
  common.save_figure(fig, workdir, "universal_text")


def summarize(results: dict[str, float]) -> str:
  others = sorted((k.split("/")[1] for k in results
                   if k.startswith("bits_per_byte/") and not k.endswith("_std")
                   and k != "bits_per_byte/transformer"),
                  key=lambda n: results[f"bits_per_byte/{n}"])
  ref = ", ".join(f"{n} {results[f'bits_per_byte/{n}']:.3f}" for n in others)
  return (
      "On real text the entropy rate is unknown; universal codes bound it. A "
      f"byte-level Transformer trained on {int(results['train_bytes']):,} bytes "
      "of the pydoc corpus reaches "
      f"{results['bits_per_byte/transformer']:.3f} ± "
      f"{results['bits_per_byte/transformer_std']:.3f} bits per byte on held-out "
      f"windows ({int(results['num_seeds'])} seeds), against (best first) {ref} "
      "(KT fitted on the training bytes, on the same windows; compressors "
      "conditional on the training bytes, over the whole test text).")
