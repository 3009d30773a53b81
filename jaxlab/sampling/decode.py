"""KV-cached decoding as one `lax.scan`: prefill, then sample token by token.

`generate` is the public entry point; `prefill` and `decode_tokens` are the
two pieces the tree search reuses. Everything after the eager input checks
runs inside `jax.jit` with static shapes: the output buffers are
pre-allocated ``[B, max_new_tokens]``, a finished row (it emitted a stop
token) keeps running in the batch but writes `pad_id`, records a zero mask
and no longer advances its cache length, so its cache holds exactly its
real tokens.

Each scan step samples a token from the current next-token logits, records
the model's own (untempered, untruncated) log-probability of it and the
entropy of that distribution, and feeds the token through
`Transformer.decode` to get the next logits. So ``n`` tokens cost ``n``
forward calls after the prefill, and the returned cache and `next_logits`
let a caller continue (a tree branch) or query the model (a self-reward).
"""
from __future__ import annotations

import functools
from typing import Sequence

import chex
import jax
import jax.numpy as jnp
from flax import struct

from jaxlab.models.transformer import KVCache, Transformer, init_cache
from jaxlab.sampling import strategies

PADDINGS = ("right", "left")


class Generation(struct.PyTreeNode):
  """What decoding recorded; ``N = max_new_tokens``.

  `mask_BxN` is True for tokens the row really generated (its stop token
  included); `done_B` says whether the row stopped. `logprobs_BxN` and
  `entropies_BxN` are the model's log p(token) and the entropy (nats) of its
  next-token distribution at temperature 1 (0 where masked).
  """
  tokens_BxN: jax.Array
  logprobs_BxN: jax.Array
  entropies_BxN: jax.Array
  mask_BxN: jax.Array
  done_B: jax.Array
  cache: KVCache
  next_logits_BxV: jax.Array


def check_prompts(prompts_BxP, prompt_lengths_B, cache_len: int,
                  max_new_tokens: int, padding: str) -> None:
  """Eager input checks with messages that name the bad value."""
  chex.assert_rank(prompts_BxP, 2)
  chex.assert_shape(prompt_lengths_B, (prompts_BxP.shape[0],))
  if padding not in PADDINGS:
    raise ValueError(f"padding={padding!r}; allowed: {PADDINGS}")
  if max_new_tokens < 1:
    raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
  if isinstance(prompt_lengths_B, jax.core.Tracer):
    return
  lengths = jnp.asarray(prompt_lengths_B)
  if prompts_BxP.shape[1] == 0 or int(lengths.min()) < 1:
    raise ValueError(f"empty prompt: every prompt needs >= 1 token, got lengths "
                     f"{lengths.tolist()} (width {prompts_BxP.shape[1]})")
  if int(lengths.max()) > prompts_BxP.shape[1]:
    raise ValueError(f"prompt_lengths {lengths.tolist()} exceed the prompt width "
                     f"{prompts_BxP.shape[1]}")
  if prompts_BxP.shape[1] + max_new_tokens > cache_len:
    raise ValueError(
        f"prompt longer than the cache: {prompts_BxP.shape[1]} prompt slots + "
        f"{max_new_tokens} new tokens > cache_len={cache_len}")


def right_align(prompts_BxP: jax.Array, prompt_lengths_B: jax.Array) -> jax.Array:
  """Left-padded prompts -> right-padded (the tokens move to slot 0)."""
  p = prompts_BxP.shape[1]
  src_BxP = (jnp.arange(p)[None] + (p - prompt_lengths_B)[:, None]) % p
  return jnp.take_along_axis(prompts_BxP, src_BxP, axis=1)


def prefill(model: Transformer, params, prompts_BxP: jax.Array,
            prompt_lengths_B: jax.Array, cache: KVCache,
            padding: str = "right") -> tuple[jax.Array, KVCache]:
  """Writes ragged prompts into an empty cache in one forward call.

  Returns the next-token logits ``[B, V]`` (each row's last real token) and
  the cache, whose `lengths` are the prompt lengths.
  """
  if padding == "left":
    prompts_BxP = right_align(prompts_BxP, prompt_lengths_B)
  logits_BxPxV, cache = model.apply(
      {"params": params}, prompts_BxP, cache, num_new=prompt_lengths_B,
      method=Transformer.decode)
  rows = jnp.arange(prompts_BxP.shape[0])
  return logits_BxPxV[rows, prompt_lengths_B - 1], cache


def token_stats(logits_BxV: jax.Array, tokens_B: jax.Array
                ) -> tuple[jax.Array, jax.Array]:
  """The model's log p(token) and the entropy of its distribution, per row."""
  logp_BxV = jax.nn.log_softmax(logits_BxV.astype(jnp.float32), -1)
  entropy_B = -jnp.sum(jnp.exp(logp_BxV) * logp_BxV, -1)
  return jnp.take_along_axis(logp_BxV, tokens_B[:, None], 1)[:, 0], entropy_B


def decode_tokens(model: Transformer, params, cache: KVCache,
                  logits_BxV: jax.Array, done_B: jax.Array,
                  strategy: strategies.Strategy, num_tokens: int, rng: jax.Array,
                  temperature_B: jax.Array | None = None,
                  stop_tokens: Sequence[int] = (), pad_id: int = 0,
                  prefix: KVCache | None = None,
                  prefix_rows: jax.Array | None = None,
                  first_step: int = 0) -> Generation:
  """Samples `num_tokens` tokens per row with a `lax.scan` (`num_tokens`
  forward calls); rows with `done_B` set generate nothing.

  Step t draws with ``fold_in(rng, first_step + t)`` (so decoding in
  segments draws what one scan would). With `prefix`/`prefix_rows`, row b
  attends to the shared prefix row ``prefix_rows[b]`` before its own cache.
  """
  b = logits_BxV.shape[0]
  temps_B = (None if isinstance(strategy, strategies.Greedy)
             else strategies.row_temperatures(strategy, b, temperature_B))
  stops = jnp.asarray(tuple(stop_tokens), jnp.int32).reshape(-1)

  def step(carry, t):
    cache, logits_BxV, done_B = carry
    token_B = strategies.sample(strategy, logits_BxV, jax.random.fold_in(rng, t),
                                temps_B)
    logp_B, entropy_B = token_stats(logits_BxV, token_B)
    live_B = ~done_B
    token_B = jnp.where(live_B, token_B, pad_id)
    done_B = done_B | (live_B & jnp.isin(token_B, stops))
    logits_Bx1xV, cache = model.apply(
        {"params": params}, token_B[:, None], cache, num_new=live_B.astype(jnp.int32),
        prefix=prefix, prefix_rows=prefix_rows, method=Transformer.decode)
    out = (token_B, jnp.where(live_B, logp_B, 0.0), jnp.where(live_B, entropy_B, 0.0),
           live_B)
    return (cache, logits_Bx1xV[:, 0], done_B), out

  (cache, logits_BxV, done_B), (tok, logp, ent, live) = jax.lax.scan(
      step, (cache, logits_BxV, done_B), first_step + jnp.arange(num_tokens))
  return Generation(tokens_BxN=tok.T, logprobs_BxN=logp.T, entropies_BxN=ent.T,
                    mask_BxN=live.T, done_B=done_B, cache=cache,
                    next_logits_BxV=logits_BxV)


@functools.partial(jax.jit, static_argnames=(
    "model", "strategy", "max_new_tokens", "stop_tokens", "pad_id", "padding",
    "cache_len"))
def _generate(model, params, prompts_BxP, prompt_lengths_B, rng, temperature_B,
              *, strategy, max_new_tokens, stop_tokens, pad_id, padding, cache_len):
  cache = init_cache(model.config, prompts_BxP.shape[0], cache_len)
  logits_BxV, cache = prefill(model, params, prompts_BxP, prompt_lengths_B, cache,
                              padding)
  done_B = jnp.zeros((prompts_BxP.shape[0],), bool)
  return decode_tokens(model, params, cache, logits_BxV, done_B, strategy,
                       max_new_tokens, rng, temperature_B, stop_tokens, pad_id)


def generate(model: Transformer, params, prompts_BxP, prompt_lengths_B,
             strategy: strategies.Strategy, max_new_tokens: int, rng: jax.Array,
             *, stop_tokens: Sequence[int] = (), pad_id: int = 0,
             padding: str = "right", temperature_B=None,
             cache_len: int | None = None) -> Generation:
  """Continues a batch of ragged prompts by `max_new_tokens` sampled tokens.

  `prompts_BxP` are padded on the `padding` side to width P;
  `prompt_lengths_B` counts real tokens. A row stops after emitting any of
  `stop_tokens` (EOS, a stop symbol). `temperature_B` overrides the
  strategy's temperature per row. The cache holds `cache_len` slots
  (default ``P + max_new_tokens``). Cost: one prefill call plus
  `max_new_tokens` forward calls of the whole batch. Jitted once per
  (model, strategy, shapes).
  """
  prompts_BxP = jnp.asarray(prompts_BxP, jnp.int32)
  prompt_lengths_B = jnp.asarray(prompt_lengths_B, jnp.int32)
  cache_len = cache_len or prompts_BxP.shape[1] + max_new_tokens
  check_prompts(prompts_BxP, prompt_lengths_B, cache_len, max_new_tokens, padding)
  if temperature_B is not None:
    temperature_B = strategies.row_temperatures(strategy, prompts_BxP.shape[0],
                                                temperature_B)
  return _generate(model, params, prompts_BxP, prompt_lengths_B, rng, temperature_B,
                   strategy=strategy, max_new_tokens=max_new_tokens,
                   stop_tokens=tuple(int(s) for s in stop_tokens), pad_id=pad_id,
                   padding=padding, cache_len=cache_len)
