"""A synthetic reasoning task whose traces commit to a solution approach first.

A problem is a family f and four operands ``x1..x4`` in ``[0, M)``; its
answer is ``x1 o x2 o x3 o x4`` where the family fixes the operation o
(family 0: addition mod M, 1: multiplication mod M, 2: bitwise xor; all
associative and commutative, so every approach reaches the same answer).
A trace (small vocabulary, one token per symbol) reads

  prompt:  BOS F_f x1 x2 x3 x4 =
  trace:   PLAN A_z ;  a b r ;  a b r ;  a b r ;  ANS y EOS

where the plan names one of three genuinely different evaluation orders
(z=0 left fold, 1 pairwise, 2 right fold) and each step ``a b r`` writes
two operands and their result. The teacher that writes the traces slips on
each step with a probability that depends on the family and the approach
(``error_rates[f, z]``; by default approach z is reliable on family z and
error-prone elsewhere), and a slip propagates to the answer, so some methods
succeed more often than others for a given family.

A verification example ``prompt PLAN A_z ; a b r ; ? Y|N EOS`` asks whether
a trace with that prefix reached the right answer; a model trained on them
has a self-reward: its own probability of ``Y`` after ``?``.
"""
from __future__ import annotations

import dataclasses

import numpy as np

NUM_FAMILIES = 3
NUM_APPROACHES = 3
NUM_OPERANDS = 4
STEP_TOKENS = 4              # a b r ;
PREFIX_TOKENS = 3 + STEP_TOKENS   # PLAN A_z ; + the first step


@dataclasses.dataclass(frozen=True)
class Vocab:
  """Token ids: residues ``0..M-1`` first, then the special symbols."""
  modulus: int = 16

  def __post_init__(self):
    if self.modulus < 2:
      raise ValueError(f"modulus must be >= 2, got {self.modulus}")

  def _special(self, i: int) -> int:
    return self.modulus + i

  pad = property(lambda self: self._special(0))
  bos = property(lambda self: self._special(1))
  eos = property(lambda self: self._special(2))
  sep = property(lambda self: self._special(3))
  eq = property(lambda self: self._special(4))
  plan = property(lambda self: self._special(5))
  ans = property(lambda self: self._special(6))
  query = property(lambda self: self._special(7))
  yes = property(lambda self: self._special(8))
  no = property(lambda self: self._special(9))

  def family(self, f):
    return self._special(10) + np.asarray(f)

  def approach(self, z):
    return self._special(10 + NUM_FAMILIES) + np.asarray(z)

  @property
  def size(self) -> int:
    return self._special(10 + NUM_FAMILIES + NUM_APPROACHES)

  @property
  def prompt_len(self) -> int:
    return 2 + NUM_OPERANDS + 1

  @property
  def trace_len(self) -> int:
    """Generated tokens of a full trace, EOS included."""
    return 3 + (NUM_OPERANDS - 1) * STEP_TOKENS + 3


def default_error_rates(reliable: float = 0.03, unreliable: float = 0.25
                        ) -> np.ndarray:
  """``[families, approaches]`` per-step slip rates: approach z is reliable
  on family z only."""
  rates = np.full((NUM_FAMILIES, NUM_APPROACHES), unreliable)
  np.fill_diagonal(rates, reliable)
  return rates


def combine(family_P: np.ndarray, a_P: np.ndarray, b_P: np.ndarray,
            modulus: int) -> np.ndarray:
  """The family's operation, elementwise."""
  return np.select([family_P == 0, family_P == 1],
                   [(a_P + b_P) % modulus, (a_P * b_P) % modulus],
                   (a_P ^ b_P) % modulus)


def make_problems(rng: np.random.Generator, num: int, modulus: int,
                  families: tuple[int, ...] = tuple(range(NUM_FAMILIES))
                  ) -> dict[str, np.ndarray]:
  """``{"family": [P], "x": [P, 4]}``: families uniform over `families`."""
  if bad := [f for f in families if not 0 <= f < NUM_FAMILIES]:
    raise ValueError(f"families must lie in [0, {NUM_FAMILIES}), got {bad}")
  return {"family": rng.choice(np.asarray(families), num),
          "x": rng.integers(0, modulus, (num, NUM_OPERANDS))}


def answers(problems: dict[str, np.ndarray], modulus: int) -> np.ndarray:
  """The true answer of each problem, ``[P]``."""
  f, x = problems["family"], problems["x"]
  out = x[:, 0]
  for i in range(1, NUM_OPERANDS):
    out = combine(f, out, x[:, i], modulus)
  return out


def prompts(problems: dict[str, np.ndarray], vocab: Vocab) -> np.ndarray:
  """``[P, prompt_len]`` int32 prompts."""
  num = len(problems["family"])
  return np.concatenate([
      np.full((num, 1), vocab.bos), vocab.family(problems["family"])[:, None],
      problems["x"], np.full((num, 1), vocab.eq)], 1).astype(np.int32)


def _operand_order(approach: int, x_P4: np.ndarray, results: list[np.ndarray]):
  """Operands of the next step for an approach, given earlier step results."""
  step = len(results)
  if approach == 0:
    return (x_P4[:, 0], x_P4[:, 1]) if step == 0 else (results[-1], x_P4[:, step + 1])
  if approach == 2:
    return (x_P4[:, 3], x_P4[:, 2]) if step == 0 else (results[-1], x_P4[:, 2 - step])
  return ((x_P4[:, 0], x_P4[:, 1]), (x_P4[:, 2], x_P4[:, 3]),
          (results[0], results[1]) if step == 2 else None)[step]


def teacher_traces(rng: np.random.Generator, problems: dict[str, np.ndarray],
                   approach_P: np.ndarray, error_rates: np.ndarray, vocab: Vocab
                   ) -> tuple[np.ndarray, np.ndarray]:
  """Teacher traces ``[P, trace_len]`` and whether each reached the answer.

  Each step slips (its result replaced by a uniformly drawn wrong residue)
  with probability ``error_rates[family, approach]``.
  """
  m = vocab.modulus
  f, x = problems["family"], problems["x"]
  slip_P = np.asarray(error_rates)[f, approach_P]
  results: list[np.ndarray] = []
  columns = [np.full_like(f, vocab.plan), vocab.approach(approach_P),
             np.full_like(f, vocab.sep)]
  for _ in range(NUM_OPERANDS - 1):
    a, b = np.zeros_like(f), np.zeros_like(f)
    for z in range(NUM_APPROACHES):
      rows = approach_P == z
      az, bz = _operand_order(z, x[rows], [r[rows] for r in results])
      a[rows], b[rows] = az, bz
    r = combine(f, a, b, m)
    slip = rng.random(len(f)) < slip_P
    r = np.where(slip, (r + rng.integers(1, m, len(f))) % m, r)
    results.append(r)
    columns += [a, b, r, np.full_like(f, vocab.sep)]
  final = results[-1]
  columns += [np.full_like(f, vocab.ans), final, np.full_like(f, vocab.eos)]
  trace = np.stack(columns, 1).astype(np.int32)
  return trace, final == answers(problems, m)


def training_set(rng: np.random.Generator, num: int, vocab: Vocab,
                 approach_probs_FxZ: np.ndarray, error_rates: np.ndarray,
                 verify_fraction: float = 0.25) -> dict[str, np.ndarray]:
  """Language-model examples ``{"tokens": [N, T], "mask": [N, T]}``.

  The approach of each trace is drawn from ``approach_probs_FxZ[family]``;
  a `verify_fraction` of the examples are verification examples (prefix,
  ``?``, ``Y`` if that teacher trace was correct else ``N``). The loss mask
  covers the tokens after the prompt (the model learns to write traces,
  not problems) except the ``?`` itself: the model learns to answer the
  query, never to ask it, so its own samples always finish the trace.
  ``T = prompt_len + trace_len``.
  """
  probs = np.asarray(approach_probs_FxZ, np.float64)
  if probs.shape != (NUM_FAMILIES, NUM_APPROACHES) or np.any(probs < 0):
    raise ValueError(f"approach_probs must be a non-negative "
                     f"[{NUM_FAMILIES}, {NUM_APPROACHES}] array, got {probs}")
  if not 0 <= verify_fraction <= 1:
    raise ValueError(f"verify_fraction must lie in [0, 1], got {verify_fraction}")
  problems = make_problems(rng, num, vocab.modulus)
  cdf = np.cumsum(probs / probs.sum(1, keepdims=True), 1)[problems["family"]]
  approach = (rng.random((num, 1)) > cdf).sum(1)
  trace, correct = teacher_traces(rng, problems, approach, error_rates, vocab)
  verify_tail = np.stack([np.full(num, vocab.query),
                          np.where(correct, vocab.yes, vocab.no),
                          np.full(num, vocab.eos)], 1)
  pad = np.full((num, trace.shape[1] - PREFIX_TOKENS - 3), vocab.pad)
  verify = np.concatenate([trace[:, :PREFIX_TOKENS], verify_tail, pad], 1)
  is_verify = rng.random(num) < verify_fraction
  body = np.where(is_verify[:, None], verify, trace)
  tokens = np.concatenate([prompts(problems, vocab), body], 1).astype(np.int32)
  loss_mask = np.zeros(tokens.shape, np.float32)
  loss_mask[:, vocab.prompt_len:] = 1.0
  loss_mask[(tokens == vocab.pad) | (tokens == vocab.query)] = 0.0
  return {"tokens": tokens, "mask": loss_mask}


def parse(generated_NxT: np.ndarray, vocab: Vocab
          ) -> tuple[np.ndarray, np.ndarray]:
  """(approach label, answer) of generated traces; -1 where unparseable.

  The approach is the token after PLAN at the start; the answer is the
  residue after the first ANS.
  """
  g = np.asarray(generated_NxT)
  z = g[:, 1] - vocab.approach(0)
  approach = np.where((g[:, 0] == vocab.plan) & (z >= 0) & (z < NUM_APPROACHES), z, -1)
  is_ans = g[:, :-1] == vocab.ans
  first = np.argmax(is_ans, 1)
  value = g[np.arange(len(g)), first + 1]
  ok = is_ans.any(1) & (value < vocab.modulus)
  return approach, np.where(ok, value, -1)
