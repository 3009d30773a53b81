"""KT and CTW log-loss: jaxlab's vectorised KT (one stable sort) and scanned
CTW (JAX, beta recursion) against textbook sequential Python implementations
(dictionary counters; CTW updating block probabilities along the context path).

The peers are also the correctness oracle: the table reports the largest
per-sequence difference in total log-loss, which must be ~0.
"""
from __future__ import annotations

import argparse
import math
from collections import defaultdict

import jax
import numpy as np

from jaxlab.benchmarks.common import markdown_table, median_seconds
from jaxlab.universal.ctw import ctw_log_loss
from jaxlab.universal.kt import kt_log_loss

DESCRIPTION = "KT and CTW log-loss: vectorised/JAX vs sequential Python (time, agreement)"


def reference_kt(tokens_T, order: int, alphabet: int, alpha: float = 0.5) -> float:
  """Total order-k add-alpha log-loss (nats) of one sequence, symbol by symbol."""
  counts: dict = defaultdict(lambda: [0] * alphabet)
  total = order * math.log(alphabet)
  for t in range(order, len(tokens_T)):
    c = counts[tuple(tokens_T[t - order:t])]
    total -= math.log((c[tokens_T[t]] + alpha) / (sum(c) + alphabet * alpha))
    c[tokens_T[t]] += 1
  return total


def reference_ctw(tokens_T, depth: int, alphabet: int) -> float:
  """Total CTW log-loss (nats) of one sequence: after each symbol, update
  the KT block probability of every node on the context path (past padded
  with 0), then recompute ``Pw = 1/2 Pe + 1/2 prod(children Pw)`` bottom-up."""
  counts: dict = defaultdict(lambda: [0] * alphabet)
  log_pe: dict = defaultdict(float)
  log_pw: dict = defaultdict(float)
  padded = [0] * depth + list(tokens_T)
  for t, x in enumerate(tokens_T):
    context = tuple(reversed(padded[t:t + depth]))     # most recent first
    for d in range(depth, -1, -1):
      node = context[:d]
      c = counts[node]
      log_pe[node] += math.log((c[x] + 0.5) / (sum(c) + alphabet / 2))
      c[x] += 1
      if d == depth:
        log_pw[node] = log_pe[node]
      else:
        children = sum(log_pw[node + (a,)] for a in range(alphabet))
        hi = max(log_pe[node], children)
        log_pw[node] = hi + math.log(0.5 * math.exp(log_pe[node] - hi)
                                     + 0.5 * math.exp(children - hi))
  return -log_pw[()]


def main(argv: list[str]) -> str:
  parser = argparse.ArgumentParser(prog="jaxlab bench universal_predictors")
  parser.add_argument("--batch", type=int, default=16)
  parser.add_argument("--length", type=int, default=1000)
  parser.add_argument("--alphabet", type=int, default=2)
  parser.add_argument("--repeats", type=int, default=3)
  args = parser.parse_args(argv)
  rng = np.random.default_rng(0)
  x = rng.integers(0, args.alphabet, size=(args.batch, args.length))
  rows = []
  cases = [("KT order 2", lambda: kt_log_loss(x, 2, args.alphabet),
            lambda r: reference_kt(r, 2, args.alphabet)),
           ("CTW depth 4", lambda: np.asarray(jax.block_until_ready(
               ctw_log_loss(x, 4, args.alphabet))),
            lambda r: reference_ctw(r, 4, args.alphabet))]
  for name, fast, slow in cases:
    ours = fast().sum(1)
    peer = np.array([slow(r.tolist()) for r in x])
    t_ours = median_seconds(fast, repeats=args.repeats)
    t_peer = median_seconds(lambda: [slow(r.tolist()) for r in x], repeats=args.repeats,
                            warmup=0)
    rows.append([name, f"{args.batch}x{args.length}", t_ours, t_peer, t_peer / t_ours,
                 float(np.abs(ours - peer).max())])
  return markdown_table(
      ["predictor", "sequences", "jaxlab s", "sequential Python s", "speed-up",
       "max |diff| nats"], rows)
