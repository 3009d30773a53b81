"""Invariance objectives: ERM, IRMv1, V-REx, GroupDRO and partial IRM.

Everything here is a pure function of per-example predictions, targets and
environment indices, usable inside any jitted train step. A batch mixes the
environments row by row (``env_N`` says which row belongs to which), so it
shards over the data axis like any other batch; per-environment quantities
are segment means.

Partial invariance (P-IRM, Choraria et al. 2023) is expressed with two
environment subsets of one `Invariance` spec:

- *partitioned*: ``risk_envs = penalty_envs = <one partition>``; the
  experiment trains one model per partition;
- *conditioned*: ``risk_envs = None`` (all), ``penalty_envs = <subset>``.

Penalties follow the IRM reference code: the penalty weight is 1 until
``anneal_step`` and ``penalty_weight`` (lambda) afterwards, and the total is
divided by ``max(lambda, 1)`` so that a huge lambda does not blow up the step
(``max`` rather than a ``where`` keeps lambda = 0 free of NaN gradients).
"""
from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax

LOSSES = ("bce", "mse", "xent")
METHODS = ("erm", "irm", "vrex", "groupdro")


def _check_inputs(pred: jax.Array, y: jax.Array, env: jax.Array, loss: str
                  ) -> None:
  """Shape and name checks that hold at trace time (so also inside jit)."""
  if loss not in LOSSES:
    raise ValueError(f"unknown loss {loss!r}; allowed: {', '.join(LOSSES)}")
  n = pred.shape[0] if pred.ndim else 0
  want_pred_ndim = 2 if loss == "xent" else 1
  if pred.ndim != want_pred_ndim:
    raise ValueError(f"loss {loss!r} needs predictions of rank {want_pred_ndim}"
                     f" ([N]{' x C' if loss == 'xent' else ''}), got shape "
                     f"{pred.shape}")
  if y.shape != (n,) or env.shape != (n,):
    raise ValueError(f"predictions have {n} rows but targets have shape "
                     f"{y.shape} and environments {env.shape}; both must be "
                     f"({n},)")


def check_environments(env_N: Any, num_envs: int) -> np.ndarray:
  """Host-side check that every environment index is valid and non-empty.

  Returns the per-environment counts. Raises ValueError naming the empty or
  out-of-range environment.
  """
  env = np.asarray(env_N)
  if num_envs <= 0:
    raise ValueError(f"num_envs must be positive, got {num_envs}")
  if env.size and (env.min() < 0 or env.max() >= num_envs):
    raise ValueError(f"environment indices must lie in [0, {num_envs}), got "
                     f"values from {env.min()} to {env.max()}")
  counts = np.bincount(env.reshape(-1), minlength=num_envs)
  empty = [int(e) for e in np.flatnonzero(counts == 0)]
  if empty:
    raise ValueError(f"environment(s) {empty} have no samples (counts "
                     f"{counts.tolist()}); every environment needs at least one")
  return counts


def per_example_loss(pred: jax.Array, y: jax.Array, loss: str) -> jax.Array:
  """Per-row loss: ``bce`` on logits [N], ``mse`` on values [N], ``xent`` on
  logits [N, C] with integer labels [N]."""
  if loss == "bce":
    return optax.sigmoid_binary_cross_entropy(pred, y.astype(pred.dtype))
  if loss == "mse":
    return jnp.square(pred - y.astype(pred.dtype))
  if loss == "xent":
    return optax.softmax_cross_entropy_with_integer_labels(pred, y.astype(jnp.int32))
  raise ValueError(f"unknown loss {loss!r}; allowed: {', '.join(LOSSES)}")


def segment_mean(values_N: jax.Array, segment_N: jax.Array, num_segments: int
                 ) -> jax.Array:
  """Mean of `values_N` per segment -> [num_segments] (0 for an empty one)."""
  total = jax.ops.segment_sum(values_N, segment_N, num_segments)
  count = jax.ops.segment_sum(jnp.ones_like(values_N), segment_N, num_segments)
  return total / jnp.maximum(count, 1.0)


def env_risks(pred: jax.Array, y: jax.Array, env_N: jax.Array, num_envs: int,
              loss: str = "bce") -> jax.Array:
  """Risk (mean loss) of each environment -> risk_E."""
  _check_inputs(pred, y, env_N, loss)
  return segment_mean(per_example_loss(pred, y, loss), env_N, num_envs)


def _half_index(env_N: jax.Array, num_envs: int) -> jax.Array:
  """0/1 alternating within each environment, in row order: the two halves
  of the unbiased IRMv1 estimator."""
  onehot_NxE = jax.nn.one_hot(env_N, num_envs, dtype=jnp.int32)
  rank_N = jnp.take_along_axis(jnp.cumsum(onehot_NxE, axis=0),
                               env_N[:, None], axis=1)[:, 0] - 1
  return rank_N % 2


def irmv1_penalty(pred: jax.Array, y: jax.Array, env_N: jax.Array,
                  num_envs: int, loss: str = "bce", unbiased: bool = False
                  ) -> jax.Array:
  """IRMv1 penalty of each environment -> penalty_E.

  The squared gradient of the environment's risk with respect to a scalar
  dummy scale ``w`` on the predictions, at ``w = 1``. ``unbiased=False`` is
  the full-batch form ``g_e**2`` of the IRM reference code;
  ``unbiased=True`` splits each environment's rows into two alternating
  halves and returns ``g_e(half 0) * g_e(half 1)``, whose expectation over
  i.i.d. rows is the squared gradient of the population risk (Arjovsky et
  al. 2019, Sec. 3.2).
  """
  _check_inputs(pred, y, env_N, loss)
  splits = 2 if unbiased else 1
  segment_N = env_N * splits + (_half_index(env_N, num_envs) if unbiased else 0)
  num_segments = num_envs * splits
  scale_shape = (-1,) + (1,) * (pred.ndim - 1)

  def total_risk(scale_S):
    scaled = pred * scale_S[segment_N].reshape(scale_shape)
    return jnp.sum(segment_mean(per_example_loss(scaled, y, loss), segment_N,
                                num_segments))

  # Segment s's risk depends only on scale_S[s]: the gradient of their sum
  # holds every segment's own dummy gradient.
  grad_S = jax.grad(total_risk)(jnp.ones((num_segments,), pred.dtype))
  grad_ExK = grad_S.reshape(num_envs, splits)
  return jnp.prod(grad_ExK, axis=1) if unbiased else grad_ExK[:, 0] ** 2


def masked_mean(values_E: jax.Array, mask_E: jax.Array) -> jax.Array:
  return jnp.sum(values_E * mask_E) / jnp.maximum(jnp.sum(mask_E), 1.0)


def vrex_penalty(risks_E: jax.Array, mask_E: jax.Array) -> jax.Array:
  """V-REx (Krueger et al. 2021): variance of the masked environment risks."""
  mean = masked_mean(risks_E, mask_E)
  return masked_mean(jnp.square(risks_E - mean), mask_E)


def annealed_weight(step: jax.Array, penalty_weight: float, anneal_step: int
                    ) -> jax.Array:
  """1.0 before `anneal_step`, `penalty_weight` (lambda) from it on."""
  return jnp.where(step >= anneal_step, penalty_weight, 1.0)


def exponentiated_ascent(eta: float) -> optax.GradientTransformation:
  """Optax transform for GroupDRO's online group weights q (a simplex vector).

  With the objective ``sum_e q_e R_e``, the gradient with respect to q is the
  vector of environment risks, and ``q <- q * exp(eta * R) / Z`` is the
  exponentiated-gradient ascent of Sagawa et al. (2020). Expressed as an
  optimizer on a parameter leaf, the weights live in the ordinary train
  state, checkpoint and resume with it, and need no special train step. The
  step uses the weights before their update (the paper updates them first).
  """
  def init(params):
    del params
    return optax.EmptyState()

  def update(grads, state, params):
    if params is None:
      raise ValueError("exponentiated_ascent needs the current weights (params)")
    new = jax.tree.map(lambda q, g: q * jnp.exp(eta * g), params, grads)
    new = jax.tree.map(lambda q: q / jnp.sum(q), new)
    return jax.tree.map(lambda n, q: n - q, new, params), state

  return optax.GradientTransformation(init, update)


@dataclasses.dataclass(frozen=True)
class Invariance:
  """Which objective to train with, and over which environments.

  method: ``erm``, ``irm`` (IRMv1), ``vrex`` or ``groupdro``.
  risk_envs: environments whose risks are averaged (None = all).
  penalty_envs: environments the penalty covers (None = `risk_envs`).
  """
  method: str = "erm"
  loss: str = "bce"
  penalty_weight: float = 1.0
  anneal_step: int = 0
  unbiased: bool = False
  risk_envs: tuple[int, ...] | None = None
  penalty_envs: tuple[int, ...] | None = None
  dro_eta: float = 0.01

  def __post_init__(self):
    if self.method not in METHODS:
      raise ValueError(f"unknown method {self.method!r}; allowed: "
                       f"{', '.join(METHODS)}")
    if self.loss not in LOSSES:
      raise ValueError(f"unknown loss {self.loss!r}; allowed: {', '.join(LOSSES)}")
    if self.penalty_weight < 0:
      raise ValueError(f"penalty_weight must be >= 0, got {self.penalty_weight}")
    for name in ("risk_envs", "penalty_envs"):
      envs = getattr(self, name)
      if envs is not None and not envs:
        raise ValueError(f"{name} is empty; give None for all environments")

  def masks(self, num_envs: int) -> tuple[np.ndarray, np.ndarray]:
    """(risk_mask_E, penalty_mask_E) as float arrays."""
    def mask(envs):
      if envs is None:
        return np.ones(num_envs, np.float32)
      bad = [e for e in envs if not 0 <= e < num_envs]
      if bad:
        raise ValueError(f"environments {bad} do not exist; this data has "
                         f"{num_envs} (indices 0..{num_envs - 1})")
      out = np.zeros(num_envs, np.float32)
      out[list(envs)] = 1.0
      return out
    risk = mask(self.risk_envs)
    penalty = risk if self.penalty_envs is None else mask(self.penalty_envs)
    return risk, penalty


class ObjectiveOut(NamedTuple):
  loss: jax.Array
  aux: dict[str, jax.Array]


def invariance_loss(spec: Invariance, pred: jax.Array, y: jax.Array,
                    env_N: jax.Array, num_envs: int, step: jax.Array,
                    dro_q_E: jax.Array | None = None,
                    regularizer: jax.Array | float = 0.0) -> ObjectiveOut:
  """The training objective of `spec` and its scalar metrics.

  `dro_q_E` are GroupDRO's online weights (a trainable leaf updated by
  `exponentiated_ascent`); required for ``groupdro`` and ignored otherwise.
  `regularizer` (e.g. an L2 term) is added to the risk and, as in the IRM
  code, rescaled with it when the penalty weight exceeds 1.
  """
  _check_inputs(pred, y, env_N, spec.loss)
  if not isinstance(env_N, jax.core.Tracer):
    check_environments(env_N, num_envs)
  risk_mask, penalty_mask = (jnp.asarray(m) for m in spec.masks(num_envs))
  risks_E = env_risks(pred, y, env_N, num_envs, spec.loss)
  risk = masked_mean(risks_E, risk_mask)
  base = risk + regularizer
  penalty = jnp.zeros((), risks_E.dtype)
  weight = jnp.zeros((), risks_E.dtype)
  if spec.method == "irm":
    penalty = masked_mean(irmv1_penalty(pred, y, env_N, num_envs, spec.loss,
                                        spec.unbiased), penalty_mask)
  elif spec.method == "vrex":
    penalty = vrex_penalty(risks_E, penalty_mask)
  if spec.method in ("irm", "vrex"):
    weight = annealed_weight(step, spec.penalty_weight, spec.anneal_step)
    total = (base + weight * penalty) / jnp.maximum(weight, 1.0)
  elif spec.method == "groupdro":
    if dro_q_E is None:
      raise ValueError("method 'groupdro' needs the online weights dro_q_E")
    chex.assert_shape(dro_q_E, (num_envs,))
    # Weights outside the risk environments are held at zero.
    q = dro_q_E * risk_mask
    total = jnp.sum(q / jnp.maximum(jnp.sum(q), 1e-12) * risks_E) + regularizer
  else:
    total = base
  aux = {"risk": risk, "penalty": penalty, "penalty_weight": weight}
  aux.update({f"risk/env{e}": risks_E[e] for e in range(num_envs)})
  return ObjectiveOut(total, aux)


def predictions_correct(pred: Any, y: Any, loss: str) -> np.ndarray:
  """Per-row correctness for classification losses (bce logits, xent)."""
  pred, y = np.asarray(pred), np.asarray(y)
  if loss == "bce":
    return ((pred > 0).astype(np.float64) == y).astype(np.float64)
  if loss == "xent":
    return (pred.argmax(-1) == y).astype(np.float64)
  raise ValueError(f"accuracy is defined for 'bce' and 'xent', not {loss!r}")


def _spread(prefix: str, values: dict[str, float], worst) -> dict[str, float]:
  arr = np.asarray(list(values.values()), np.float64)
  return {f"{prefix}_mean": float(arr.mean()),
          f"{prefix}_worst": float(worst(arr)),
          f"{prefix}_gap": float(arr.max() - arr.min()),
          f"{prefix}_var": float(arr.var())}


def env_metrics(pred: Any, y: Any, env_N: Any, env_names: tuple[str, ...],
                loss: str = "bce") -> dict[str, float]:
  """The fairness view of one model on several environments (host side).

  ``risk/<env>`` and ``acc/<env>`` per environment (accuracy only for
  classification), and for each their mean, worst, max-min gap and variance
  across environments: ``risk_mean``, ``risk_worst`` (the largest risk),
  ``acc_worst`` (the smallest accuracy), ``*_gap``, ``*_var``.
  """
  pred, y, env = np.asarray(pred), np.asarray(y), np.asarray(env_N)
  _check_inputs(pred, y, env, loss)
  check_environments(env, len(env_names))
  losses = np.asarray(per_example_loss(jnp.asarray(pred), jnp.asarray(y), loss))
  risks = {n: float(losses[env == e].mean()) for e, n in enumerate(env_names)}
  out = {f"risk/{n}": v for n, v in risks.items()}
  out.update(_spread("risk", risks, np.max))
  if loss != "mse":
    correct = predictions_correct(pred, y, loss)
    accs = {n: float(correct[env == e].mean()) for e, n in enumerate(env_names)}
    out.update({f"acc/{n}": v for n, v in accs.items()})
    out.update(_spread("acc", accs, np.min))
  return out
