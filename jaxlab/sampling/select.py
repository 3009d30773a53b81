"""Turning K final answers per problem into one verdict: pass@k, majority
vote, best-of-N. Host-side NumPy on parsed answers (``-1`` = no answer).
"""
from __future__ import annotations

import numpy as np

NO_ANSWER = -1


def _check(answers_BxK: np.ndarray) -> np.ndarray:
  answers_BxK = np.asarray(answers_BxK)
  if answers_BxK.ndim != 2 or answers_BxK.shape[1] == 0:
    raise ValueError(f"need [problems, k>0] answers, got shape {answers_BxK.shape}")
  return answers_BxK


def pass_at_k(answers_BxK: np.ndarray, truth_B: np.ndarray) -> np.ndarray:
  """Per problem: did any of the K answers match the truth?"""
  answers_BxK = _check(answers_BxK)
  return (answers_BxK == np.asarray(truth_B)[:, None]).any(1)


def majority_vote(answers_BxK: np.ndarray) -> np.ndarray:
  """The most frequent answer per problem (``-1`` only if no leaf answered).

  Ties go to the answer that appears first, so leaves ordered best-first
  (as `tree_search` returns them) break ties by their score.
  """
  answers_BxK = _check(answers_BxK)
  out = np.full(len(answers_BxK), NO_ANSWER)
  for i, row in enumerate(answers_BxK):
    valid = row[row != NO_ANSWER]
    if valid.size:
      values, first, counts = np.unique(valid, return_index=True, return_counts=True)
      best = np.lexsort((first, -counts))[0]
      out[i] = values[best]
  return out


def best_of(answers_BxK: np.ndarray, scores_BxK: np.ndarray) -> np.ndarray:
  """The answer of the best-scoring leaf per problem (best-of-N)."""
  answers_BxK = _check(answers_BxK)
  return answers_BxK[np.arange(len(answers_BxK)), np.argmax(scores_BxK, 1)]
