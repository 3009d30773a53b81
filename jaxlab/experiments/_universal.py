"""What the four universal-prediction experiments share: the Transformer built
from a config, its training through the shared loop, its per-position
log-loss, the classical predictors on the same test sequences, and plots.

Private (not an experiment): `universal_markov`, `universal_data`,
`universal_ablation` and `universal_text` wire these pieces differently.
Every log-loss here is ``loss_BxT`` in nats, where ``loss[:, t]`` is the cost
of predicting ``tokens[:, t]`` from ``tokens[:, :t]``; a Transformer reading
``tokens[:, :-1]`` cannot predict position 0, which gets ``log A`` like every
other predictor's positions without context.
"""
from __future__ import annotations

import functools
import math
import os
from typing import Any, Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxlab.data import markov
from jaxlab.experiments import common
from jaxlab.models.transformer import Transformer, TransformerConfig, init_params
from jaxlab.objectives.lm import make_loss_fn
from jaxlab.train.loop import LoopConfig, TrainResult, train
from jaxlab.universal.ctw import ctw_log_loss
from jaxlab.universal.kt import kt_log_loss


def transformer_config(model: ml_collections.ConfigDict, vocab_size: int,
                       seq_len: int) -> TransformerConfig:
  """The frozen model dataclass from an experiment's ``config.model``.

  With ``model.bos`` the vocabulary gains one id past the data's symbols, a
  beginning-of-sequence token read before the first symbol (see `bos_id`).
  """
  return TransformerConfig(
      vocab_size=vocab_size + int(model.bos), d_model=model.d_model,
      num_layers=model.num_layers, num_heads=model.num_heads,
      mlp_dim=model.get("mlp_dim") or None, positional=model.positional, max_len=seq_len)


def optimizer(config: ml_collections.ConfigDict) -> optax.GradientTransformation:
  """AdamW with linear warm-up and cosine decay over the run."""
  schedule = optax.warmup_cosine_decay_schedule(
      0.0, config.learning_rate, min(config.warmup_steps, config.train.num_steps),
      config.train.num_steps, end_value=0.1 * config.learning_rate)
  return optax.chain(optax.clip_by_global_norm(1.0),
                     optax.adamw(schedule, weight_decay=config.weight_decay))


def bos_id(model: ml_collections.ConfigDict, model_cfg: TransformerConfig) -> int | None:
  """The beginning-of-sequence id (the vocabulary's last) if ``model.bos``.

  Why a BOS token: attention to a fixed first token acts as a pseudo-count,
  so one head can output add-alpha counts (n_1 + beta v) / (n + beta), the
  Bayes predictor's form; without it the model has to learn a sink at
  position 0 from the data token there.
  """
  return model_cfg.vocab_size - 1 if model.bos else None


def with_bos(tokens_BxT: jax.Array, bos: int | None) -> jax.Array:
  """``[B, T + 1]`` with `bos` read first, or the tokens as they are."""
  if bos is None:
    return tokens_BxT
  return jnp.concatenate([jnp.full_like(tokens_BxT[:, :1], bos), tokens_BxT], axis=1)


def transformer_log_loss_fn(model_cfg: TransformerConfig, bos: int | None
                            ) -> Callable[[Any, jax.Array], jax.Array]:
  """A jitted ``(params, tokens_BxT) -> loss_BxT``.

  Position 0 is predicted from the BOS token alone, or without one costs
  ``log A`` (A: the data's alphabet).
  """
  model = Transformer(model_cfg)

  @jax.jit
  def log_loss(params, tokens_BxT):
    inputs = with_bos(tokens_BxT, bos)[:, :-1]
    logits = model.apply({"params": params}, inputs)
    targets = tokens_BxT[:, -logits.shape[1]:]   # all T with BOS, else from 1
    nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), targets[..., None],
                               axis=-1)[..., 0]
    if bos is not None:
      return nll
    first = jnp.full((tokens_BxT.shape[0], 1), math.log(model_cfg.vocab_size))
    return jnp.concatenate([first, nll], axis=1)

  return log_loss


def batched(fn: Callable[[Any, jax.Array], jax.Array], params: Any,
            tokens_NxT: np.ndarray, chunk: int = 256) -> np.ndarray:
  """`fn(params, tokens)` over row chunks (bounded memory, one compile)."""
  n = len(tokens_NxT)
  pad = (-n) % chunk if n > chunk else 0
  padded = np.concatenate([tokens_NxT, tokens_NxT[:pad]]) if pad else tokens_NxT
  size = min(chunk, n)
  out = [np.asarray(fn(params, jnp.asarray(padded[i:i + size])))
         for i in range(0, len(padded), size)]
  return np.concatenate(out)[:n]


def train_transformer(workdir: str, config: ml_collections.ConfigDict,
                      model_cfg: TransformerConfig, data: Any, seed: int,
                      eval_tokens: np.ndarray, skip: int, description: str
                      ) -> tuple[TrainResult, np.ndarray]:
  """Trains through the shared loop (resumable in `workdir`).

  The eval metric ``loss`` is the test log-loss averaged over positions
  ``t >= skip``. Returns the loop's result and the final ``loss_NxT`` on
  `eval_tokens`.
  """
  bos = bos_id(config.model, model_cfg)
  log_loss = transformer_log_loss_fn(model_cfg, bos)
  token_loss = make_loss_fn(Transformer(model_cfg).apply)

  def loss_fn(params, batch, rng):
    return token_loss(params, {**batch, "tokens": with_bos(batch["tokens"], bos)}, rng)

  def eval_fn(params):
    return {"loss": float(batched(log_loss, params, eval_tokens)[:, skip:].mean())}

  loop = LoopConfig(seed=seed, description=description, **config.train.to_dict())
  result = train(
      workdir, init_params=lambda rng: init_params(model_cfg, rng),
      tx=optimizer(config), data=data, config=loop,
      loss_fn=loss_fn, eval_fn=eval_fn)
  return result, batched(log_loss, result.state.params, eval_tokens)


def eval_curve(result: TrainResult) -> tuple[list[int], list[float]]:
  """(steps, test log-loss) from the loop's eval rows."""
  rows = [r for r in result.history if "eval/loss" in r]
  return [int(r["step"]) for r in rows], [float(r["eval/loss"]) for r in rows]


def in_context_sampler(order: int, alphabet: int, alpha: float, batch: int,
                       length: int) -> Callable[[jax.Array], dict]:
  """A jitted ``key -> {"tokens": [batch, length], "chains": [batch, S, A]}``
  from fresh chains (training ignores the chains; the test set reuses this
  compiled sampler, whose Dirichlet draws are slow to compile)."""
  @jax.jit
  def sampler(key):
    tokens, chains = markov.sample_in_context(key, batch, length, order, alphabet, alpha)
    return {"tokens": tokens, "chains": chains}
  return sampler


def classical_log_losses(tokens_NxT: np.ndarray, alphabet: int,
                         kt_orders: Sequence[int], ctw_depths: Sequence[int],
                         alpha: float = 0.5) -> dict[str, np.ndarray]:
  """``{name: loss_NxT}`` of KT (each order) and CTW (each depth), each row
  predicted from its own past only (no training data)."""
  out = {f"kt{k}": kt_log_loss(tokens_NxT, k, alphabet, alpha) for k in kt_orders}
  for d in ctw_depths:
    out[f"ctw{d}"] = np.asarray(ctw_log_loss(jnp.asarray(tokens_NxT), d, alphabet))
  return out


def per_seed_stats(per_seed: Sequence[Mapping[str, float]]) -> dict[str, float]:
  """Mean and std over seeds of each key of the per-seed result dicts."""
  return common.mean_std({k: [r[k] for r in per_seed] for k in per_seed[0]})


def position_curves(per_seed: Sequence[Mapping[str, Sequence[float]]]
                    ) -> dict[str, np.ndarray]:
  """Per-position curves averaged over seeds: ``{name: [T]}``."""
  return {k: np.mean([np.asarray(r[k]) for r in per_seed], axis=0) for k in per_seed[0]}


def plot_positions(ax: Any, curves: Mapping[str, np.ndarray], skip: int,
                   smooth: int = 1) -> None:
  """Per-position log-loss curves (moving average of `smooth` positions)."""
  for name, curve in curves.items():
    y = np.convolve(curve[skip:], np.ones(smooth) / smooth, mode="valid")
    style = (dict(lw=2.2, color="k", zorder=5) if name == "transformer"
             else dict(lw=1.0, ls="--" if name.startswith("ctw") else "-"))
    ax.plot(np.arange(skip, skip + len(y)), y, label=name, **style)
  ax.set(xlabel="position t in the sequence", ylabel="log-loss (nats)")
  ax.legend(fontsize=7)


def sub_workdir(workdir: str, name: str) -> str:
  return os.path.join(workdir, "train", name)


def in_context_subrun(config: ml_collections.ConfigDict, workdir: str, seed: int,
                      name: str) -> dict[str, Any]:
  """One seed of the in-context task: train, then score every predictor on
  the same `num_test` held-out sequences (drawn from the seed, never trained on).

  Returns ``loss/<predictor>`` (mean over positions ``t >= max(k, 1)``),
  ``entropy_rate`` (mean exact rate of the test chains), per-position curves
  ``positions/<predictor>`` and the learning curve ``curve_steps``/``curve_loss``.
  """
  order, alphabet, length = config.order, config.alphabet, config.seq_len
  skip = max(order, 1)
  batch = config.train.batch_size
  if config.num_test % batch:
    raise ValueError(f"num_test={config.num_test} must be a multiple of the "
                     f"batch size {batch}")
  sampler = in_context_sampler(order, alphabet, config.alpha, batch, length)
  test_key = jax.random.fold_in(jax.random.PRNGKey(seed), 1 << 30)
  parts = [sampler(jax.random.fold_in(test_key, i)) for i in range(config.num_test // batch)]
  tokens = np.concatenate([np.asarray(p["tokens"]) for p in parts])
  chains = jnp.concatenate([p["chains"] for p in parts])
  oracle, rates = _oracle_and_rates(jnp.asarray(tokens), chains, order)
  model_cfg = transformer_config(config.model, alphabet, length)
  result, transformer_loss = train_transformer(
      sub_workdir(workdir, name), config, model_cfg, markov.StepSource(sampler, seed),
      seed, tokens, skip, description=name)
  losses = {"transformer": transformer_loss,
            **classical_log_losses(tokens, alphabet, config.kt_orders,
                                   config.ctw_depths, config.alpha),
            "oracle": np.asarray(oracle)}
  steps, curve = eval_curve(result)
  return {**{f"loss/{k}": float(v[:, skip:].mean()) for k, v in losses.items()},
          "entropy_rate": float(rates.mean()),
          **{f"positions/{k}": v.mean(0).tolist() for k, v in losses.items()},
          "curve_steps": steps, "curve_loss": curve}


@functools.partial(jax.jit, static_argnums=2)
def _oracle_and_rates(tokens_NxT, chains_NxSxA, order):
  """True-source log-loss ``[N, T]`` and each chain's exact entropy rate ``[N]``."""
  alphabet = chains_NxSxA.shape[-1]
  chains = chains_NxSxA.reshape((-1,) + (alphabet,) * (order + 1))
  return (markov.true_log_loss(tokens_NxT, chains_NxSxA),
          jax.vmap(markov.entropy_rate)(chains))
