"""The diversity profile of a model: how its samples spread over solution
approaches, and how uncertainty splits into breadth and depth.

From N samples for each of P problems, with an approach label z, an answer y
and a correctness bit per sample (all empirical, per problem):

- ``pi`` = P(z): the profile; ``entropy`` = H(pi) in nats and
  ``effective_approaches`` = exp(H(pi));
- ``success`` = P(correct | z) for each approach (NaN where z never occurs);
- ``answer_entropy`` = H(Y) = ``breadth`` + ``depth``, with
  ``breadth`` = I(Y; Z) (uncertainty from which approach is taken) and
  ``depth`` = H(Y | Z) (uncertainty within an approach).

Approach labels come from a user-supplied labelling function: exact on the
synthetic task (the plan token names it), or `kmeans_labels` on embeddings
of real text. Host-side NumPy: this is analysis of finished samples.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Hashable, Sequence

import numpy as np

NO_ANSWER = -1


@dataclasses.dataclass(frozen=True)
class DiversityProfile:
  """Per-problem profile arrays (leading axis P) and their problem means."""
  pi_PxZ: np.ndarray
  success_PxZ: np.ndarray
  entropy_P: np.ndarray
  effective_approaches_P: np.ndarray
  answer_entropy_P: np.ndarray
  breadth_P: np.ndarray
  depth_P: np.ndarray
  accuracy_P: np.ndarray

  def summary(self) -> dict[str, float]:
    """Means over problems, plus the pooled profile of approaches."""
    pooled_pi = self.pi_PxZ.mean(0)
    out = {name[:-2]: float(np.mean(getattr(self, name)))
           for name in ("entropy_P", "effective_approaches_P",
                        "answer_entropy_P", "breadth_P", "depth_P",
                        "accuracy_P")}
    out["pooled_entropy"] = _entropy(pooled_pi)
    for z, p in enumerate(pooled_pi):
      out[f"pi/{z}"] = float(p)
    return out


def _entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
  p = np.asarray(p, np.float64)
  logs = np.log(np.where(p > 0, p, 1.0))
  return -(p * logs).sum(axis)


def diversity_profile(approach_PxN: np.ndarray, answer_PxN: np.ndarray,
                      correct_PxN: np.ndarray, num_approaches: int
                      ) -> DiversityProfile:
  """The profile of P problems x N samples.

  `approach_PxN` holds labels in ``[0, num_approaches)``; `answer_PxN` holds
  integer answers, ``NO_ANSWER`` (-1) for a sample without one (it counts
  as one more answer value); `correct_PxN` is boolean.
  """
  approach_PxN = np.asarray(approach_PxN)
  answer_PxN = np.asarray(answer_PxN)
  correct_PxN = np.asarray(correct_PxN, bool)
  if approach_PxN.ndim != 2 or approach_PxN.shape[1] == 0:
    raise ValueError(f"need [problems, samples>0] labels, got shape {approach_PxN.shape}")
  if answer_PxN.shape != approach_PxN.shape or correct_PxN.shape != approach_PxN.shape:
    raise ValueError(
        f"approach, answer and correct must share one [P, N] shape, got "
        f"{approach_PxN.shape}, {answer_PxN.shape}, {correct_PxN.shape}")
  if approach_PxN.min() < 0 or approach_PxN.max() >= num_approaches:
    raise ValueError(f"approach labels must lie in [0, {num_approaches}), got "
                     f"[{approach_PxN.min()}, {approach_PxN.max()}]")
  if answer_PxN.min() < NO_ANSWER:
    raise ValueError(f"answers must be >= {NO_ANSWER}, got {answer_PxN.min()}")
  num_p, num_n = approach_PxN.shape
  answer_ids = answer_PxN + 1                         # NO_ANSWER -> 0
  joint_PxZxA = np.zeros((num_p, num_approaches, int(answer_ids.max()) + 1))
  rows = np.repeat(np.arange(num_p), num_n)
  np.add.at(joint_PxZxA, (rows, approach_PxN.ravel(), answer_ids.ravel()), 1.0)
  joint_PxZxA /= num_n
  pi_PxZ = joint_PxZxA.sum(2)
  p_answer_PxA = joint_PxZxA.sum(1)
  entropy_P = _entropy(pi_PxZ)
  answer_entropy_P = _entropy(p_answer_PxA)
  depth_P = (_entropy(joint_PxZxA.reshape(num_p, -1))) - entropy_P  # H(Y|Z)
  correct_by_z = np.zeros((num_p, num_approaches))
  np.add.at(correct_by_z, (rows, approach_PxN.ravel()), correct_PxN.ravel())
  with np.errstate(invalid="ignore", divide="ignore"):
    success_PxZ = np.where(pi_PxZ > 0, correct_by_z / (pi_PxZ * num_n), np.nan)
  return DiversityProfile(
      pi_PxZ=pi_PxZ, success_PxZ=success_PxZ, entropy_P=entropy_P,
      effective_approaches_P=np.exp(entropy_P),
      answer_entropy_P=answer_entropy_P,
      breadth_P=answer_entropy_P - depth_P, depth_P=depth_P,
      accuracy_P=correct_PxN.mean(1))


def label_with(label_fn: Callable[[Sequence[int]], Hashable],
               samples_PxN: Sequence[Sequence[Sequence[int]]]
               ) -> tuple[np.ndarray, list[Hashable]]:
  """Applies a labelling function to every sample and numbers its labels.

  Returns ``[P, N]`` integer labels and the list of distinct label values
  (label i is ``values[i]``), for `diversity_profile`.
  """
  values: dict[Hashable, int] = {}
  labels = [[values.setdefault(label_fn(s), len(values)) for s in row]
            for row in samples_PxN]
  return np.asarray(labels, np.int64), list(values)


def kmeans_labels(embeddings_PxNxD: np.ndarray, num_approaches: int,
                  seed: int = 0) -> np.ndarray:
  """Approach labels for real text: k-means clusters of sample embeddings,
  fitted on all problems' samples together so a label means the same
  approach across problems."""
  from sklearn.cluster import KMeans
  p, n, d = embeddings_PxNxD.shape
  km = KMeans(n_clusters=num_approaches, n_init=4, random_state=seed)
  return km.fit_predict(embeddings_PxNxD.reshape(p * n, d)).reshape(p, n)
