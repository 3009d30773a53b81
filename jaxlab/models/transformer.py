"""A decoder-only Transformer LM, Qwen3 / OLMo-2 / OLMo-3 compatible, with a KV cache.

One module serves three uses: training small models from scratch on a CPU,
loading real Hugging Face checkpoints (`jaxlab.interop.hf`), and cached
decoding for samplers and search trees.

Architecture: token embedding (plus a learned position table when
``positional="learned"``), `num_layers` blocks of grouped-query attention
(optional q/k RMSNorm, rotary positions) and a SwiGLU MLP, a final RMSNorm
and a tied or untied output head. ``block_norm="pre"`` is Llama/Qwen3
(``x + f(norm(x))``), ``"post"`` is OLMo-2/3 (``x + norm(f(x))``).

Decoding: `KVCache` holds keys and values of every layer, pre-allocated as
``[layers, batch, max_len, kv_heads, head_dim]``, and the number of filled
slots per row. `Transformer.decode` writes new tokens at slot
``lengths[b] + t``, attends causally over the row's filled slots, and can
first attend to a shared prefix cache (one row per distinct prefix), so the
memory of a search tree grows with distinct tokens, not with branches times
prefix length. All shapes are static: `decode` runs under `jax.jit` and as
the body of a `lax.scan`.

Sharding: kernels carry `nn.with_partitioning` annotations over the mesh
axes ``fsdp`` and ``tensor``. A mesh that lacks those axes (the data-parallel
mesh of `jaxlab.train.parallel`) replicates them, so the same module trains
data-parallel now and fsdp/tensor-parallel on a bigger mesh later.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, NamedTuple

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

FSDP_AXIS = "fsdp"       # parameter-sharding mesh axis (ZeRO-3 style)
TENSOR_AXIS = "tensor"   # Megatron-style tensor-parallel mesh axis
POSITIONALS = ("rope", "learned", "none")
QK_NORM_SCOPES = ("head", "all")   # Qwen3 normalises per head, OLMo over all heads
BLOCK_NORMS = ("pre", "post")
LAYER_TYPES = ("full", "sliding")
_MASKED = -1e30   # attention logit of a masked key (finite: no NaN on empty rows)

Params = Any


@dataclasses.dataclass(frozen=True)
class Yarn:
  """YaRN rotary scaling (arXiv 2309.00071), computed as Hugging Face does.

  Long-context checkpoints (OLMo-3 7B/32B) use it; `full_layers_only`
  restricts it to the full-attention layers (OLMo-3's sliding layers keep
  plain RoPE). `attention_factor` None means ``0.1 ln(factor) + 1``.
  """
  factor: float
  original_max_len: int
  beta_fast: float = 32.0
  beta_slow: float = 1.0
  attention_factor: float | None = None
  truncate: bool = True
  full_layers_only: bool = False

  def __post_init__(self):
    if self.factor < 1.0 or self.original_max_len <= 0:
      raise ValueError(f"YaRN needs factor >= 1 and original_max_len > 0, got "
                       f"{self.factor}, {self.original_max_len}")


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
  """Hyperparameters of the decoder; `None` fields take the usual defaults.

  `num_kv_heads` (default `num_heads`) < `num_heads` is grouped-query
  attention; `head_dim` defaults to ``d_model // num_heads``; `mlp_dim` to
  ``4 * d_model``. `layer_types` (one of LAYER_TYPES per layer) with
  `sliding_window` gives OLMo-3's mix of sliding-window and full attention.
  `yarn` rescales the rotary frequencies for long contexts.
  `dtype` is the compute dtype (``"bfloat16"`` on accelerators), `param_dtype`
  the storage dtype; logits are always float32.
  """
  vocab_size: int
  d_model: int
  num_layers: int
  num_heads: int
  num_kv_heads: int | None = None
  head_dim: int | None = None
  mlp_dim: int | None = None
  rope_theta: float = 10_000.0
  yarn: Yarn | None = None
  qk_norm: bool = False
  qk_norm_scope: str = "head"
  block_norm: str = "pre"
  tie_embeddings: bool = True
  positional: str = "rope"
  max_len: int = 2048
  sliding_window: int | None = None
  layer_types: tuple[str, ...] | None = None
  attention_bias: bool = False
  norm_eps: float = 1e-6
  init_std: float = 0.02
  dtype: str = "float32"
  param_dtype: str = "float32"

  def __post_init__(self):
    set_ = functools.partial(object.__setattr__, self)
    if self.num_kv_heads is None:
      set_("num_kv_heads", self.num_heads)
    if self.head_dim is None and self.num_heads > 0:
      set_("head_dim", self.d_model // self.num_heads)
    if self.mlp_dim is None:
      set_("mlp_dim", 4 * self.d_model)
    if self.layer_types is not None:
      set_("layer_types", tuple(self.layer_types))
    for name in ("vocab_size", "d_model", "num_layers", "num_heads",
                 "num_kv_heads", "head_dim", "mlp_dim", "max_len"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
    if self.num_heads % self.num_kv_heads:
      raise ValueError(f"num_heads={self.num_heads} must be a multiple of "
                       f"num_kv_heads={self.num_kv_heads}")
    for name, allowed in (("positional", POSITIONALS),
                          ("qk_norm_scope", QK_NORM_SCOPES),
                          ("block_norm", BLOCK_NORMS)):
      if getattr(self, name) not in allowed:
        raise ValueError(f"{name}={getattr(self, name)!r}; allowed: {allowed}")
    if self.positional == "rope" and self.head_dim % 2:
      raise ValueError(f"rotary positions need an even head_dim, got {self.head_dim}")
    if self.layer_types is not None:
      if len(self.layer_types) != self.num_layers:
        raise ValueError(f"layer_types has {len(self.layer_types)} entries for "
                         f"num_layers={self.num_layers}")
      bad = sorted(set(self.layer_types) - set(LAYER_TYPES))
      if bad:
        raise ValueError(f"layer_types has {bad}; allowed: {LAYER_TYPES}")
      if "sliding" in self.layer_types and not self.sliding_window:
        raise ValueError("layer_types has 'sliding' layers but sliding_window is not set")
    for name in ("dtype", "param_dtype"):
      jnp.dtype(getattr(self, name))   # raises on an unknown dtype name

  def window(self, layer: int) -> int | None:
    """The sliding window of `layer` (None = full causal attention)."""
    if self.layer_types is None or self.layer_types[layer] == "full":
      return None
    return self.sliding_window


def rope_frequencies(config: TransformerConfig, layer: int) -> tuple[np.ndarray, float]:
  """Inverse rotary frequencies ``[head_dim // 2]`` (float32) and the cos/sin
  scale of `layer` (plain RoPE, or YaRN where the config asks for it)."""
  dim = config.head_dim
  pos_freqs = np.float32(config.rope_theta) ** (np.arange(0, dim, 2, dtype=np.float32)
                                                / np.float32(dim))
  y = config.yarn
  if y is None or (y.full_layers_only and config.window(layer) is not None):
    return 1.0 / pos_freqs, 1.0

  def correction_dim(rotations: float) -> float:
    return (dim * math.log(y.original_max_len / (rotations * 2 * math.pi))
            / (2 * math.log(config.rope_theta)))

  low, high = correction_dim(y.beta_fast), correction_dim(y.beta_slow)
  if y.truncate:
    low, high = math.floor(low), math.ceil(high)
  low, high = max(low, 0), min(high, dim - 1)
  if low == high:
    high += 0.001
  ramp = np.clip((np.arange(dim // 2, dtype=np.float32) - low) / (high - low), 0, 1)
  extrapolate = (1.0 - ramp).astype(np.float32)
  inv_freq = (1.0 / (y.factor * pos_freqs)) * (1.0 - extrapolate) + (1.0 / pos_freqs) * extrapolate
  scale = (y.attention_factor if y.attention_factor is not None
           else (0.1 * math.log(y.factor) + 1.0 if y.factor > 1 else 1.0))
  return inv_freq.astype(np.float32), float(scale)


class KVCache(struct.PyTreeNode):
  """Keys and values of every layer, pre-allocated, and filled slots per row.

  `k`, `v`: ``[layers, batch, max_len, kv_heads, head_dim]`` (post-rotary
  keys); `lengths`: ``[batch]`` int32, the number of filled slots of each row.
  """
  k: jax.Array
  v: jax.Array
  lengths: jax.Array

  @property
  def batch(self) -> int:
    return self.k.shape[1]

  @property
  def max_len(self) -> int:
    return self.k.shape[2]

  def gather(self, rows: jax.Array) -> "KVCache":
    """A cache whose row i is a copy of row ``rows[i]`` (branching a tree)."""
    rows = jnp.asarray(rows, jnp.int32)
    chex.assert_rank(rows, 1)
    return KVCache(k=jnp.take(self.k, rows, axis=1),
                   v=jnp.take(self.v, rows, axis=1),
                   lengths=jnp.take(self.lengths, rows, axis=0))


def init_cache(config: TransformerConfig, batch: int, max_len: int | None = None,
               dtype: Any = None) -> KVCache:
  """An empty cache of `batch` rows and `max_len` slots (default config.max_len)."""
  max_len = config.max_len if max_len is None else max_len
  if batch <= 0 or max_len <= 0:
    raise ValueError(f"cache needs batch > 0 and max_len > 0, got {batch}, {max_len}")
  shape = (config.num_layers, batch, max_len, config.num_kv_heads, config.head_dim)
  dtype = jnp.dtype(dtype or config.dtype)
  return KVCache(k=jnp.zeros(shape, dtype), v=jnp.zeros(shape, dtype),
                 lengths=jnp.zeros((batch,), jnp.int32))


class LayerCache(NamedTuple):
  """One layer's read-only view of the cache for a decode call (internal).

  The new tokens' keys and values are attended to next to it and written
  back by `Transformer.decode`, into the stacked cache in place: writing
  them into this per-layer view first would copy the whole cache per layer
  and step, which dominated long `lax.scan` decodes on CPU.
  """
  k_BxSxKxD: jax.Array
  v_BxSxKxD: jax.Array
  prefix_k_BxPxKxD: jax.Array | None       # gathered shared-prefix keys, or None
  prefix_v_BxPxKxD: jax.Array | None


def attention_mask(q_pos_BxT: jax.Array, k_pos_BxS: jax.Array, k_valid_BxS: jax.Array,
                   window: int | None = None, prefix_len_B: jax.Array | None = None
                   ) -> jax.Array:
  """Boolean ``[B, T, S]``: may query t attend to key s?

  Causal by position (key position <= query position), keys must be valid
  (not padding, filled prefix slots), within `window` positions for sliding
  layers, and bidirectional among positions < `prefix_len_B` (prefix LM).
  """
  q = q_pos_BxT[:, :, None]
  k = k_pos_BxS[:, None, :]
  allowed = k <= q
  if prefix_len_B is not None:
    p = prefix_len_B[:, None, None]
    allowed = allowed | ((q < p) & (k < p))
  if window is not None:
    allowed = allowed & (q - k < window)
  return allowed & k_valid_BxS[:, None, :]


def rope(x_BxTxHxD: jax.Array, positions_BxT: jax.Array, inv_freq: np.ndarray,
         scale: float = 1.0) -> jax.Array:
  """Rotary position embedding, Hugging Face "rotate half" layout.

  `inv_freq` ``[head_dim // 2]`` and `scale` come from `rope_frequencies`.
  """
  half = x_BxTxHxD.shape[-1] // 2
  angle = positions_BxT.astype(jnp.float32)[..., None] * jnp.asarray(inv_freq, jnp.float32)
  cos = (jnp.cos(angle) * scale)[:, :, None, :]
  sin = (jnp.sin(angle) * scale)[:, :, None, :]
  x = x_BxTxHxD.astype(jnp.float32)
  x1, x2 = x[..., :half], x[..., half:]
  out = jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
  return out.astype(x_BxTxHxD.dtype)


def _attend(q_BxTxHxD, k_BxSxKxD, v_BxSxKxD, mask_BxTxS):
  """Grouped-query softmax attention (float32 logits and softmax)."""
  b, t, h, d = q_BxTxHxD.shape
  kv = k_BxSxKxD.shape[2]
  q = q_BxTxHxD.reshape(b, t, kv, h // kv, d) * jnp.asarray(d ** -0.5, q_BxTxHxD.dtype)
  logits = jnp.einsum("btkgd,bskd->bkgts", q, k_BxSxKxD.astype(q.dtype),
                      preferred_element_type=jnp.float32)
  logits = jnp.where(mask_BxTxS[:, None, None], logits, _MASKED)
  weights = jax.nn.softmax(logits, axis=-1).astype(v_BxSxKxD.dtype)
  out = jnp.einsum("bkgts,bskd->btkgd", weights, v_BxSxKxD)
  return out.reshape(b, t, h, d).astype(q_BxTxHxD.dtype)


def _write(cache_LxBxSxKxD, new_LxBxTxKxD, start_B):
  """Writes each row's new keys/values (all layers) at its own slot offset."""
  write_row = lambda c, n, s: jax.lax.dynamic_update_slice(c, n.astype(c.dtype), (0, s, 0, 0))
  return jax.vmap(write_row, in_axes=(1, 1, 0), out_axes=1)(
      cache_LxBxSxKxD, new_LxBxTxKxD, start_B)


def _kernel_init(config: TransformerConfig, axes: tuple[str | None, ...]):
  return nn.with_partitioning(nn.initializers.normal(config.init_std), axes)


def _rms_norm(config: TransformerConfig, name: str, axes: tuple[int, ...] = (-1,)):
  return nn.RMSNorm(epsilon=config.norm_eps, dtype=config.dtype,
                    param_dtype=config.param_dtype, reduction_axes=axes,
                    feature_axes=axes, name=name)


class Attention(nn.Module):
  """Grouped-query self-attention; with a `LayerCache`, also reads/writes it."""
  config: TransformerConfig
  layer: int

  @nn.compact
  def __call__(self, x_BxTxD, positions_BxT, mask_BxTxS, cache: LayerCache | None):
    cfg = self.config
    dense = functools.partial(nn.DenseGeneral, use_bias=cfg.attention_bias,
                              dtype=cfg.dtype, param_dtype=cfg.param_dtype)
    in_axes = (FSDP_AXIS, TENSOR_AXIS, None)
    q = dense((cfg.num_heads, cfg.head_dim), kernel_init=_kernel_init(cfg, in_axes),
              name="query")(x_BxTxD)
    k = dense((cfg.num_kv_heads, cfg.head_dim), kernel_init=_kernel_init(cfg, in_axes),
              name="key")(x_BxTxD)
    v = dense((cfg.num_kv_heads, cfg.head_dim), kernel_init=_kernel_init(cfg, in_axes),
              name="value")(x_BxTxD)
    if cfg.qk_norm:
      axes = (-1,) if cfg.qk_norm_scope == "head" else (-2, -1)
      q = _rms_norm(cfg, "query_norm", axes)(q)
      k = _rms_norm(cfg, "key_norm", axes)(k)
    if cfg.positional == "rope":
      inv_freq, scale = rope_frequencies(cfg, self.layer)
      q = rope(q, positions_BxT, inv_freq, scale)
      k = rope(k, positions_BxT, inv_freq, scale)
    written = None
    if cache is not None:   # keys: [shared prefix,] cache slots, new tokens
      written = (k, v)
      stored = ((cache.prefix_k_BxPxKxD, cache.k_BxSxKxD, k),
                (cache.prefix_v_BxPxKxD, cache.v_BxSxKxD, v))
      k, v = (jnp.concatenate([p.astype(new.dtype) for p in parts if p is not None], axis=1)
              for parts, new in zip(stored, (k, v)))
    out = _attend(q, k, v, mask_BxTxS)
    y = dense(cfg.d_model, axis=(-2, -1),
              kernel_init=_kernel_init(cfg, (TENSOR_AXIS, None, FSDP_AXIS)),
              name="out")(out)
    return y, written


class Mlp(nn.Module):
  """SwiGLU: ``down(silu(gate(x)) * up(x))``."""
  config: TransformerConfig

  @nn.compact
  def __call__(self, x_BxTxD):
    cfg = self.config
    dense = functools.partial(nn.DenseGeneral, use_bias=False, dtype=cfg.dtype,
                              param_dtype=cfg.param_dtype)
    up_init = _kernel_init(cfg, (FSDP_AXIS, TENSOR_AXIS))
    gate = dense(cfg.mlp_dim, kernel_init=up_init, name="gate")(x_BxTxD)
    up = dense(cfg.mlp_dim, kernel_init=up_init, name="up")(x_BxTxD)
    return dense(cfg.d_model, kernel_init=_kernel_init(cfg, (TENSOR_AXIS, FSDP_AXIS)),
                 name="down")(nn.silu(gate) * up)


class Block(nn.Module):
  """Attention and MLP sublayers with pre- (Qwen3) or post- (OLMo) norms."""
  config: TransformerConfig
  layer: int

  @nn.compact
  def __call__(self, x_BxTxD, positions_BxT, mask_BxTxS, cache: LayerCache | None):
    cfg = self.config
    attn = Attention(cfg, self.layer, name="attn")
    mlp = Mlp(cfg, name="mlp")
    attn_norm = _rms_norm(cfg, "attn_norm")
    mlp_norm = _rms_norm(cfg, "mlp_norm")
    if cfg.block_norm == "pre":
      a, written = attn(attn_norm(x_BxTxD), positions_BxT, mask_BxTxS, cache)
      h = x_BxTxD + a
      return h + mlp(mlp_norm(h)), written
    a, written = attn(x_BxTxD, positions_BxT, mask_BxTxS, cache)
    h = x_BxTxD + attn_norm(a)
    return h + mlp_norm(mlp(h)), written


def _is_concrete(x: Any) -> bool:
  return not isinstance(x, jax.core.Tracer)


def _check_tokens(tokens: jax.Array, vocab_size: int) -> None:
  """Eager check of token ids (under jit an out-of-range id embeds as NaN)."""
  if not jnp.issubdtype(tokens.dtype, jnp.integer):
    raise ValueError(f"token ids must be integers, got dtype {tokens.dtype}")
  if _is_concrete(tokens) and tokens.size:
    lo, hi = int(jnp.min(tokens)), int(jnp.max(tokens))
    if lo < 0 or hi >= vocab_size:
      raise ValueError(f"token ids must lie in [0, {vocab_size}), got values in "
                       f"[{lo}, {hi}]")


class Transformer(nn.Module):
  """The decoder LM. ``apply({'params': p}, tokens_BxL)`` -> logits ``[B, L, vocab]``."""
  config: TransformerConfig

  def setup(self):
    cfg = self.config
    embed = functools.partial(nn.Embed, features=cfg.d_model, dtype=cfg.dtype,
                              param_dtype=cfg.param_dtype)
    self.embed = embed(cfg.vocab_size, embedding_init=_kernel_init(
        cfg, (TENSOR_AXIS, FSDP_AXIS)))
    if cfg.positional == "learned":
      self.pos_embed = embed(cfg.max_len, embedding_init=_kernel_init(cfg, (None, FSDP_AXIS)))
    self.blocks = [Block(cfg, i) for i in range(cfg.num_layers)]
    self.final_norm = _rms_norm(cfg, None)
    if not cfg.tie_embeddings:
      self.head = nn.DenseGeneral(cfg.vocab_size, use_bias=False, dtype=cfg.dtype,
                                  param_dtype=cfg.param_dtype,
                                  kernel_init=_kernel_init(cfg, (FSDP_AXIS, TENSOR_AXIS)))

  def _embed(self, tokens_BxT, positions_BxT):
    _check_tokens(tokens_BxT, self.config.vocab_size)
    x = self.embed(tokens_BxT)
    if self.config.positional == "learned":
      if _is_concrete(positions_BxT) and int(jnp.max(positions_BxT)) >= self.config.max_len:
        raise ValueError(f"position {int(jnp.max(positions_BxT))} exceeds the learned "
                         f"position table (max_len={self.config.max_len})")
      x = x + self.pos_embed(positions_BxT)
    return x

  def _logits(self, x_BxTxD):
    x = self.final_norm(x_BxTxD)
    logits = self.embed.attend(x) if self.config.tie_embeddings else self.head(x)
    return logits.astype(jnp.float32)

  def _masks(self, q_pos, k_pos, k_valid, prefix_len=None):
    windows = {self.config.window(i) for i in range(self.config.num_layers)}
    return {w: attention_mask(q_pos, k_pos, k_valid, w, prefix_len) for w in windows}

  def __call__(self, tokens_BxL: jax.Array, valid_BxL: jax.Array | None = None,
               prefix_len_B: jax.Array | None = None,
               positions_BxL: jax.Array | None = None) -> jax.Array:
    """Logits ``[B, L, vocab]`` of a causal (or prefix-LM) forward pass.

    `valid_BxL` marks real tokens (False = padding: never attended to);
    `prefix_len_B` makes the first tokens of each row attend to each other
    bidirectionally; `positions_BxL` defaults to ``0..L-1`` per row (right
    padding keeps the positions of real tokens right).
    """
    chex.assert_rank(tokens_BxL, 2)
    b, l = tokens_BxL.shape
    if l > self.config.max_len and self.config.positional == "learned":
      raise ValueError(f"sequence length {l} exceeds max_len={self.config.max_len}")
    if positions_BxL is None:
      positions_BxL = jnp.broadcast_to(jnp.arange(l, dtype=jnp.int32), (b, l))
    if valid_BxL is None:
      valid_BxL = jnp.ones((b, l), bool)
    chex.assert_shape([valid_BxL, positions_BxL], (b, l))
    masks = self._masks(positions_BxL, positions_BxL, valid_BxL.astype(bool), prefix_len_B)
    x = self._embed(tokens_BxL, positions_BxL)
    for i, block in enumerate(self.blocks):
      x, _ = block(x, positions_BxL, masks[self.config.window(i)], None)
    return self._logits(x)

  def decode(self, tokens_BxT: jax.Array, cache: KVCache,
             num_new: jax.Array | None = None, prefix: KVCache | None = None,
             prefix_rows: jax.Array | None = None) -> tuple[jax.Array, KVCache]:
    """Appends `tokens_BxT` to the cache; returns (logits ``[B, T, vocab]``, new cache).

    Token t of row b sits at position ``lengths[b] + t`` (plus the row's
    prefix length when `prefix` is given) and is written to that cache slot.
    `lengths` advances by `num_new` (default T): a right-padded ragged
    prompt batch is prefilled in one call with ``num_new = prompt_lengths``,
    its next-token logits are ``logits[b, num_new[b] - 1]``. With `prefix`
    (one row per distinct prefix) and `prefix_rows` ``[B]``, row b first
    attends to the filled slots of ``prefix[prefix_rows[b]]``.

    Every row needs ``lengths[b] + T <= cache.max_len``: called eagerly a
    longer sequence raises ValueError; under jit the overflowing rows'
    logits are NaN (the write cannot fit).
    """
    cfg = self.config
    chex.assert_rank(tokens_BxT, 2)
    b, t = tokens_BxT.shape
    chex.assert_shape(cache.lengths, (b,))
    chex.assert_shape(cache.k, (cfg.num_layers, b, cache.max_len, cfg.num_kv_heads,
                                cfg.head_dim))
    if t > cache.max_len:
      raise ValueError(f"{t} new tokens do not fit a cache of max_len={cache.max_len}")
    overflow_B = cache.lengths + t > cache.max_len
    if _is_concrete(overflow_B) and bool(jnp.any(overflow_B)):
      raise ValueError(
          f"sequence longer than the cache: lengths {np.asarray(cache.lengths).tolist()} "
          f"+ {t} new tokens exceed max_len={cache.max_len}")
    num_new = jnp.full((b,), t, jnp.int32) if num_new is None else jnp.asarray(num_new, jnp.int32)
    chex.assert_shape(num_new, (b,))
    s = cache.max_len
    if prefix is None:
      prefix_len_B = jnp.zeros((b,), jnp.int32)
    else:
      if prefix_rows is None:
        raise ValueError("a prefix cache needs prefix_rows ([batch] row indices)")
      prefix_rows = jnp.asarray(prefix_rows, jnp.int32)
      chex.assert_shape(prefix_rows, (b,))
      prefix_len_B = prefix.lengths[prefix_rows]
    positions = (prefix_len_B + cache.lengths)[:, None] + jnp.arange(t, dtype=jnp.int32)
    slots_BxS = jnp.broadcast_to(jnp.arange(s, dtype=jnp.int32), (b, s))
    # Keys: the filled cache slots, then the new tokens (causal among themselves).
    k_pos = jnp.concatenate([prefix_len_B[:, None] + slots_BxS, positions], axis=1)
    k_valid = jnp.concatenate([slots_BxS < cache.lengths[:, None], jnp.ones((b, t), bool)],
                              axis=1)
    if prefix is not None:
      slots = jnp.broadcast_to(jnp.arange(prefix.max_len, dtype=jnp.int32), (b, prefix.max_len))
      k_pos = jnp.concatenate([slots, k_pos], axis=1)
      k_valid = jnp.concatenate([slots < prefix_len_B[:, None], k_valid], axis=1)
    masks = self._masks(positions, k_pos, k_valid)
    x = self._embed(tokens_BxT, positions)
    written_k, written_v = [], []
    for i, block in enumerate(self.blocks):
      layer = LayerCache(
          cache.k[i], cache.v[i],
          None if prefix is None else jnp.take(prefix.k[i], prefix_rows, axis=0),
          None if prefix is None else jnp.take(prefix.v[i], prefix_rows, axis=0))
      x, (k_i, v_i) = block(x, positions, masks[cfg.window(i)], layer)
      written_k.append(k_i)
      written_v.append(v_i)
    logits = jnp.where(overflow_B[:, None, None], jnp.nan, self._logits(x))
    return logits, KVCache(k=_write(cache.k, jnp.stack(written_k), cache.lengths),
                           v=_write(cache.v, jnp.stack(written_v), cache.lengths),
                           lengths=cache.lengths + num_new)


def init_params(config: TransformerConfig, rng: jax.Array) -> Params:
  """Random parameters, boxed with their partitioning (`nn.Partitioned`).

  The training loop reads the boxes to place each leaf; ``nn.meta.unbox``
  gives plain arrays. `apply` accepts either.
  """
  tokens = jnp.zeros((1, 1), jnp.int32)
  return Transformer(config).init(rng, tokens)["params"]


def num_params(params: Params) -> int:
  """Total number of parameters."""
  return sum(int(np.prod(x.shape)) for x in jax.tree.leaves(nn.meta.unbox(params)))


@functools.partial(jax.jit, static_argnames=("config", "num_tokens"))
def generate_greedy(config: TransformerConfig, params: Params, prompt_BxL: jax.Array,
                    prompt_lengths_B: jax.Array, num_tokens: int) -> jax.Array:
  """Greedy continuations ``[B, num_tokens]`` of right-padded ragged prompts.

  Prefill in one decode call, then one `lax.scan` step per token. A small
  reference decoder (tests, sample generations); samplers live in
  `jaxlab.sampling`.
  """
  chex.assert_rank(prompt_BxL, 2)
  b, l = prompt_BxL.shape
  model = Transformer(config)
  variables = {"params": params}
  cache = init_cache(config, b, l + num_tokens)
  logits, cache = model.apply(variables, prompt_BxL, cache, num_new=prompt_lengths_B,
                              method=Transformer.decode)
  first = jnp.argmax(logits[jnp.arange(b), prompt_lengths_B - 1], axis=-1)

  def step(carry, _):
    token_B, cache = carry
    logits, cache = model.apply(variables, token_B[:, None], cache,
                                method=Transformer.decode)
    return (jnp.argmax(logits[:, 0], axis=-1), cache), token_B

  _, tokens_NxB = jax.lax.scan(step, (first, cache), None, length=num_tokens)
  return tokens_NxB.T
