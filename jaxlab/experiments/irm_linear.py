"""Linear SEM: does IRM over-constrain, and does partitioning fix it?

The P-IRM synthetic experiment (Choraria et al. 2023): ``y = z1.w1 + b_e
z2.w2 + noise``, environments differing in noise scale, ``b_e = 1`` in half
of them. A linear model is fitted by full-batch Adam with MSE under

- ``erm``: pooled risk;
- ``irm``: IRMv1 over all environments;
- ``pirm_partitioned``: IRMv1 (risk and penalty) over the partition chosen
  from the meta-information ``b_e`` (default: the ``b_e = 1`` environments);
- ``pirm_conditioned``: risk over all environments, penalty only over that
  partition.

Reported: the learned/true norm ratio of each block (in latent coordinates,
undoing any scrambling) and the MSE on a test environment with ``b = 1``.
All seeds of one method train at once (``vmap`` over seeds of a jitted
`lax.scan`: thousands of steps of a 10-parameter model, where the loop's
per-step overhead would dominate).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from jaxlab.data import linear_sem
from jaxlab.experiments import _invariance as inv
from jaxlab.experiments import common
from jaxlab.objectives import irm, partitions

PAPER = "pirm"
DESCRIPTION = "Linear SEM: IRM shrinks the partially causal block, partitioned P-IRM recovers it"
METHODS = ("erm", "irm", "pirm_partitioned", "pirm_conditioned")


def sem_of(config) -> linear_sem.LinearSEM:
  return linear_sem.LinearSEM(
      dim=config.dim, sigmas=tuple(config.sigmas),
      causal_b=tuple(config.causal_b), samples_per_env=config.samples_per_env,
      scramble=config.scramble, test_sigma=config.test_sigma,
      test_b=config.test_b)


def objective(method: str, config, partition: tuple[int, ...]) -> irm.Invariance:
  kw = dict(loss="mse", penalty_weight=config.irm_lambda,
            anneal_step=config.anneal_step)
  if method == "erm":
    return irm.Invariance("erm", loss="mse")
  if method == "irm":
    return irm.Invariance("irm", **kw)
  if method == "pirm_partitioned":
    return irm.Invariance("irm", risk_envs=partition, **kw)
  if method == "pirm_conditioned":
    return irm.Invariance("irm", penalty_envs=partition, **kw)
  raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")


def fit(spec: irm.Invariance, x_SxNxD, y_SxN, env_N, num_envs: int,
        steps: int, lr: float) -> np.ndarray:
  """Fits one linear model per seed -> weights [S, D] (bias dropped)."""
  tx = optax.adam(lr)

  def fit_one(x_NxD, y_N):
    def loss_fn(p, t):
      pred = x_NxD @ p["w"] + p["b"]
      return irm.invariance_loss(spec, pred, y_N, env_N, num_envs, t)
    init = {"w": jnp.zeros(x_NxD.shape[1]), "b": jnp.zeros(())}
    return inv.scan_fit(loss_fn, init, tx, steps)["w"]

  return np.asarray(jax.jit(jax.vmap(fit_one))(x_SxNxD, y_SxN))


def run_method(config, method: str) -> dict:
  sem = sem_of(config)
  meta = {n: f"b{b}" for n, b in zip(sem.env_names, sem.causal_b)}
  partition = partitions.select(partitions.from_meta(meta, sem.env_names),
                                config.partition)
  data = [linear_sem.generate(sem, seed) for seed in range(config.seeds)]
  w_SxD = fit(objective(method, config, partition),
              jnp.asarray(np.stack([d.x_NxD for d in data])),
              jnp.asarray(np.stack([d.y_N for d in data])),
              jnp.asarray(data[0].env_N), len(sem.sigmas), config.steps,
              config.lr)
  out = {"w1_ratio": [], "w2_ratio": [], "test_mse": []}
  for d, w in zip(data, w_SxD):
    r1, r2 = d.block_ratios(w)
    # Bias is ~0 (zero-mean data); the test MSE uses the weights alone.
    out["w1_ratio"].append(r1)
    out["w2_ratio"].append(r2)
    out["test_mse"].append(float(np.mean((d.test_x_NxD @ w - d.test_y_N) ** 2)))
  return out


def run(config, workdir: str) -> dict:
  samples = {}
  for method in tqdm(METHODS, desc="irm_linear"):
    per_seed = common.cached(workdir, method, lambda: run_method(config, method))
    samples.update({f"{k}/{method}": v for k, v in per_seed.items()})
  results = common.mean_std(samples)
  results["noise_floor_mse"] = config.test_sigma ** 2
  _figure(results, workdir)
  return common.write_results(workdir, "irm_linear", results, config)


def _figure(results, workdir):
  common.figure_backend()
  import matplotlib.pyplot as plt
  fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
  x = np.arange(len(METHODS))
  for i, block in enumerate(("w1_ratio", "w2_ratio")):
    axes[0].bar(x + (i - 0.5) * 0.4, [results[f"{block}/{m}"] for m in METHODS],
                0.4, yerr=[results[f"{block}/{m}_std"] for m in METHODS],
                capsize=3, label={"w1_ratio": "|w1^|/|w1| (always causal)",
                                  "w2_ratio": "|w2^|/|w2| (causal where b=1)"}[block])
  axes[0].axhline(1.0, color="k", lw=0.8, ls="--")
  axes[0].set_xticks(x, METHODS, rotation=15)
  axes[0].set_ylabel("learned / true norm")
  axes[0].legend(fontsize=7)
  axes[1].bar(x, [results[f"test_mse/{m}"] for m in METHODS], 0.6,
              yerr=[results[f"test_mse/{m}_std"] for m in METHODS], capsize=3)
  axes[1].axhline(results["noise_floor_mse"], color="k", lw=0.8, ls="--",
                  label="noise floor")
  axes[1].set_xticks(x, METHODS, rotation=15)
  axes[1].set_ylabel("test MSE (b=1 environment)")
  axes[1].legend(fontsize=7)
  fig.suptitle("Linear SEM: block recovery and test error", fontsize=10)
  common.save_figure(fig, workdir, "irm_linear")


def summarize(results: dict) -> str:
  g = lambda k: results.get(k, float("nan"))
  return (
      "P-IRM (Choraria et al. 2023) claims that when the invariant features "
      "are not sufficient, IRM over-constrains the predictor and drops "
      "features that are causal in only some environments, and that "
      "enforcing invariance within a partition of environments chosen by "
      "meta-information recovers them. In this linear SEM the partially "
      f"causal block's learned/true norm ratio was {g('w2_ratio/erm'):.2f} "
      f"under ERM, {g('w2_ratio/irm'):.2f} under IRM over all environments, "
      f"{g('w2_ratio/pirm_partitioned'):.2f} under partitioned P-IRM and "
      f"{g('w2_ratio/pirm_conditioned'):.2f} under conditioned P-IRM (the "
      f"always-causal block stayed near 1: IRM {g('w1_ratio/irm'):.2f}); test "
      f"MSE on a b=1 environment was ERM {g('test_mse/erm'):.2f}, IRM "
      f"{g('test_mse/irm'):.2f}, partitioned {g('test_mse/pirm_partitioned'):.2f}, "
      f"conditioned {g('test_mse/pirm_conditioned'):.2f} (noise floor "
      f"{g('noise_floor_mse'):.2f}).")
