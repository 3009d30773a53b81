"""Tree search over continuations, and parallel sampling as its one-level case.

A tree is a sequence of `Level`s. At level l every kept node of the level
before (the prompt at level 1) gets `branching` children; all children of
all problems continue `new_tokens` tokens in one batched `lax.scan`; then a
signal scores every child from its path statistics and the best `keep` per
problem survive to the next level. The leaves are the children of the last
level (all kept). Parallel sampling with N samples of n tokens is
``[Level(branching=N, new_tokens=n)]``.

Children copy their parent's KV cache in one of two ways:

- ``share_prefix=False``: one cache of ``P + sum(new_tokens)`` slots per
  row, gathered (`KVCache.gather`) at each branching; memory is
  ``rows x full length``.
- ``share_prefix=True``: the kept nodes form a prefix cache (one row per
  distinct prefix) and the children get small suffix caches of
  ``new_tokens`` slots that attend to their parent's prefix row; after
  pruning, each survivor's prefix and suffix are joined into the next
  prefix. Persistent memory grows with the kept prefixes plus the new
  tokens, not with branches x prefix length (the forward pass gathers the
  prefix rows transiently, per layer).

Both modes give the same tokens and statistics (tested).

Budget accounting, per problem: ``generated_tokens`` counts every token any
node generated (pruned nodes included, stop tokens included, padding after
a stop excluded); a shared prefix is generated once, by its node, and
counted once. ``forward_calls`` counts sequential model calls of the whole
batch (1 prefill + ``sum(new_tokens)`` + one per verifier query);
``row_forwards`` counts the token positions those calls computed, padding
and finished rows included (the compute actually spent).
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jaxlab.models.transformer import KVCache, Transformer, init_cache
from jaxlab.sampling import decode, signals, strategies


@dataclasses.dataclass(frozen=True)
class Level:
  """One level of a tree: children per node, tokens each child generates,
  and how many children per problem survive (None = all)."""
  branching: int
  new_tokens: int
  keep: int | None = None

  def __post_init__(self):
    if self.branching < 1:
      raise ValueError(f"branching factor must be >= 1, got {self.branching}")
    if self.new_tokens < 1:
      raise ValueError(f"new_tokens must be >= 1, got {self.new_tokens}")
    if self.keep is not None and self.keep < 1:
      raise ValueError(f"keep must be >= 1 (or None for all), got {self.keep}")


def level_widths(levels: Sequence[Level]) -> list[tuple[int, int]]:
  """(children, kept) per problem at each level."""
  widths, nodes = [], 1
  for level in levels:
    children = nodes * level.branching
    if level.keep is not None and level.keep > children:
      raise ValueError(f"keep={level.keep} exceeds the {children} children of a level")
    nodes = children if level.keep is None else level.keep
    widths.append((children, nodes))
  return widths


def token_budget(levels: Sequence[Level]) -> int:
  """Generated tokens per problem when no row stops early."""
  return sum(children * level.new_tokens
             for level, (children, _) in zip(levels, level_widths(levels)))


class TreeResult(struct.PyTreeNode):
  """Leaves (K per problem, best score first) with their full generated
  paths, the scores of each leaf's ancestor at every level (L levels; the
  last is the leaf's own), its self-rewards when a verifier was given, and
  the budget."""
  tokens_BxKxT: jax.Array
  logprobs_BxKxT: jax.Array
  entropies_BxKxT: jax.Array
  mask_BxKxT: jax.Array
  scores_BxK: jax.Array
  level_scores_BxKxL: jax.Array
  level_self_rewards_BxKxL: jax.Array | None
  generated_tokens_B: jax.Array
  forward_calls: int = struct.field(pytree_node=False)
  row_forwards: int = struct.field(pytree_node=False)
  cache_bytes: int = struct.field(pytree_node=False)


def _join(prefix: KVCache, prefix_rows_R: jax.Array, suffix: KVCache) -> KVCache:
  """Row r: the filled slots of ``prefix[prefix_rows[r]]`` then those of
  ``suffix[r]``, as one cache of ``prefix.max_len + suffix.max_len`` slots."""
  parent = prefix.gather(prefix_rows_R)
  s = prefix.max_len + suffix.max_len
  slot_S = jnp.arange(s)
  plen_Rx1 = parent.lengths[:, None]
  from_prefix_RxS = slot_S[None] < plen_Rx1
  p_idx = jnp.broadcast_to(jnp.minimum(slot_S, prefix.max_len - 1), from_prefix_RxS.shape)
  s_idx = jnp.clip(slot_S[None] - plen_Rx1, 0, suffix.max_len - 1)

  def pick(p_LxRxSxKxD, s_LxRxSxKxD):
    take = lambda x, idx: jnp.take_along_axis(x, idx[None, :, :, None, None], axis=2)
    return jnp.where(from_prefix_RxS[None, :, :, None, None],
                     take(p_LxRxSxKxD, p_idx), take(s_LxRxSxKxD, s_idx))

  return KVCache(k=pick(parent.k, suffix.k), v=pick(parent.v, suffix.v),
                 lengths=parent.lengths + suffix.lengths)


def _self_reward(model, params, verifier, cache, prefix, prefix_rows):
  """log p(verify_token) after feeding the query (the cache is not kept)."""
  query = jnp.asarray(verifier.query_tokens, jnp.int32)
  tokens_RxQ = jnp.broadcast_to(query, (cache.batch, query.size))
  logits, _ = model.apply({"params": params}, tokens_RxQ, cache, prefix=prefix,
                          prefix_rows=prefix_rows, method=Transformer.decode)
  return jax.nn.log_softmax(logits[:, -1], -1)[:, verifier.verify_token]


def _segments(num_tokens: int, segment_tokens: int | None) -> list[int]:
  """Splits a level's tokens into scans of at most `segment_tokens`."""
  if not segment_tokens or segment_tokens >= num_tokens:
    return [num_tokens]
  full, rest = divmod(num_tokens, segment_tokens)
  return [segment_tokens] * full + ([rest] if rest else [])


def _extend(old, parent_R, new):
  """Each child's history: its parent's (rows `parent_R`) then its own."""
  if old is None:
    return new
  return tuple(jnp.concatenate([o[parent_R], n], -1) for o, n in zip(old, new))


@functools.partial(jax.jit, static_argnames=(
    "model", "levels", "strategy", "signal", "verifier", "stop_tokens", "pad_id",
    "padding", "share_prefix", "segment_tokens"))
def _tree(model, params, prompts_BxP, prompt_lengths_B, rng, *, levels, strategy,
          signal, verifier, stop_tokens, pad_id, padding, share_prefix, segment_tokens):
  cfg = model.config
  b, p = prompts_BxP.shape
  q = len(verifier.query_tokens) if verifier else 0
  total = sum(level.new_tokens for level in levels)
  cache = init_cache(cfg, b, p + (0 if share_prefix else total + q))
  logits, cache = decode.prefill(model, params, prompts_BxP, prompt_lengths_B,
                                 cache, padding)
  done = jnp.zeros((b,), bool)
  prefix, nodes = cache, 1             # share_prefix: the kept nodes' caches
  paths = history = None   # per node: (tokens, logprobs, entropies, mask), (scores, SRs)
  generated_B = jnp.zeros((b,), jnp.int32)
  for i, (level, (children, kept)) in enumerate(zip(levels, level_widths(levels))):
    parent_R = jnp.repeat(jnp.arange(b * nodes), level.branching)
    rows = b * children
    logits, done = logits[parent_R], done[parent_R]
    if share_prefix:
      prefix_rows = parent_R
    else:
      prefix = prefix_rows = None
      cache = cache.gather(parent_R)
    parts = []
    segments = _segments(level.new_tokens, segment_tokens if share_prefix else None)
    for j, n in enumerate(segments):
      if share_prefix:
        if j:          # the finished segment joins the (now per-row) prefix
          prefix, prefix_rows = _join(prefix, prefix_rows, gen.cache), jnp.arange(rows)
        cache = init_cache(cfg, rows, n + (q if j == len(segments) - 1 else 0))
      gen = decode.decode_tokens(
          model, params, cache, logits, done, strategy, n, jax.random.fold_in(rng, i),
          None, stop_tokens, pad_id, prefix, prefix_rows, first_step=sum(segments[:j]))
      logits, done = gen.next_logits_BxV, gen.done_B
      parts.append(gen)
    gen = gen.replace(**{f: jnp.concatenate([getattr(g, f) for g in parts], 1) for f in
                         ("tokens_BxN", "logprobs_BxN", "entropies_BxN", "mask_BxN")})
    generated_B += gen.mask_BxN.reshape(b, -1).sum(-1)
    paths = _extend(paths, parent_R, (gen.tokens_BxN, gen.logprobs_BxN,
                                      gen.entropies_BxN, gen.mask_BxN))
    sr_R = (jnp.zeros((rows,)) if verifier is None else
            _self_reward(model, params, verifier, gen.cache, prefix, prefix_rows))
    score_R = signal(signals.PathStats(
        logprobs_RxT=paths[1], entropies_RxT=paths[2], mask_RxT=paths[3],
        self_reward_R=None if verifier is None else sr_R))
    history = _extend(history, parent_R, (score_R[:, None], sr_R[:, None]))
    keep_BxK = jax.lax.top_k(score_R.reshape(b, children), kept)[1]          # all when kept == children
    keep_R = (keep_BxK + children * jnp.arange(b)[:, None]).reshape(-1)
    paths, history = (tuple(x[keep_R] for x in xs) for xs in (paths, history))
    logits, done = gen.next_logits_BxV[keep_R], gen.done_B[keep_R]
    cache = gen.cache.gather(keep_R)
    if share_prefix and i + 1 < len(levels):
      prefix = _join(prefix, prefix_rows[keep_R], cache)
    nodes = kept
  return tuple(x.reshape(b, nodes, -1) for x in paths + history) + (generated_B,)


def _static_costs(model, levels, b, p, q, share_prefix, segment_tokens=None):
  """(forward_calls, row_forwards, peak persistent cache bytes) of a tree."""
  cfg = model.config
  slot_bytes = (2 * cfg.num_layers * cfg.num_kv_heads * cfg.head_dim
                * jnp.dtype(cfg.dtype).itemsize)
  total = sum(level.new_tokens for level in levels)
  widths = level_widths(levels)
  calls = 1 + total + (q > 0) * len(levels)
  row_forwards = b * p + sum(b * c * (level.new_tokens + q)
                             for level, (c, _) in zip(levels, widths))
  peak, nodes, prefix_slots = 0, 1, p   # per problem: prefix rows, slots per row
  for level, (children, kept) in zip(levels, widths):
    if not share_prefix:
      peak = max(peak, b * children * (p + total + q) * slot_bytes)
      continue
    segments = _segments(level.new_tokens, segment_tokens)
    rows, alloc = nodes, 0
    for j, n in enumerate(segments):
      if j:                     # joined: one prefix row per child
        rows, prefix_slots = children, prefix_slots + alloc
      alloc = n + (q if j == len(segments) - 1 else 0)
      peak = max(peak, b * (rows * prefix_slots + children * alloc) * slot_bytes)
    nodes, prefix_slots = kept, prefix_slots + alloc
  return calls, row_forwards, peak


def tree_search(model: Transformer, params, prompts_BxP, prompt_lengths_B,
                levels: Sequence[Level], strategy: strategies.Strategy,
                rng: jax.Array, *, signal: signals.Signal = signals.mean_logprob,
                verifier: signals.Verifier | None = None,
                stop_tokens: Sequence[int] = (), pad_id: int = 0,
                padding: str = "right", share_prefix: bool = True,
                segment_tokens: int | None = None) -> TreeResult:
  """Grows a tree of continuations of each prompt; returns its leaves.

  Level l draws with ``fold_in(rng, l)``. `signal` scores every node (and
  the leaves, e.g. for best-of-N); `verifier` adds the self-reward to the
  statistics (one extra forward call per level). See the module docstring
  for the budget accounting and the two cache layouts.

  `segment_tokens` (shared-prefix layout only) splits each level's scan
  into scans of at most that many tokens, joining each finished segment
  into the prefix. Same tokens, different speed/memory trade-off: on CPU
  a scan step copies its carried cache, so a long carried cache gets slow
  (64 rows x 256 tokens: 28 s in one scan, 2.3 s in 32-token segments,
  measured here), while a join duplicates the parent prefix per child.
  """
  if segment_tokens is not None and segment_tokens < 1:
    raise ValueError(f"segment_tokens must be >= 1 (or None), got {segment_tokens}")
  levels = tuple(levels)
  if not levels:
    raise ValueError("a tree needs at least one Level")
  level_widths(levels)
  prompts_BxP = jnp.asarray(prompts_BxP, jnp.int32)
  prompt_lengths_B = jnp.asarray(prompt_lengths_B, jnp.int32)
  b, p = prompts_BxP.shape
  q = len(verifier.query_tokens) if verifier else 0
  total = sum(level.new_tokens for level in levels)
  if model.config.positional == "learned":
    cache_len = model.config.max_len
  else:
    cache_len = max(model.config.max_len, p + total + q)
  decode.check_prompts(prompts_BxP, prompt_lengths_B, cache_len, total + q, padding)
  tokens, logprobs, entropies, mask, level_scores, level_srs, generated = _tree(
      model, params, prompts_BxP, prompt_lengths_B, rng, levels=levels,
      strategy=strategy, signal=signal, verifier=verifier,
      stop_tokens=tuple(int(s) for s in stop_tokens), pad_id=pad_id,
      padding=padding, share_prefix=share_prefix, segment_tokens=segment_tokens)
  calls, row_forwards, cache_bytes = _static_costs(model, levels, b, p, q, share_prefix,
                                                   segment_tokens)
  return TreeResult(tokens_BxKxT=tokens, logprobs_BxKxT=logprobs,
                    entropies_BxKxT=entropies, mask_BxKxT=mask, scores_BxK=level_scores[..., -1],
                    level_scores_BxKxL=level_scores,
                    level_self_rewards_BxKxL=level_srs if verifier else None,
                    generated_tokens_B=generated, forward_calls=calls,
                    row_forwards=row_forwards, cache_bytes=cache_bytes)


def parallel_sample(model: Transformer, params, prompts_BxP, prompt_lengths_B,
                    num_samples: int, new_tokens: int,
                    strategy: strategies.Strategy, rng: jax.Array,
                    **kwargs) -> TreeResult:
  """N independent samples per prompt: the one-level tree (best-of-N,
  majority vote and pass@k read its leaves)."""
  return tree_search(model, params, prompts_BxP, prompt_lengths_B,
                     [Level(branching=num_samples, new_tokens=new_tokens)],
                     strategy, rng, **kwargs)
