"""Hugging Face checkpoints (config.json + safetensors) in and out.

Reads a Qwen3, OLMo-2 or OLMo-3 causal LM directory (one
``model.safetensors`` or shards listed in ``model.safetensors.index.json``)
into a `TransformerConfig` and jaxlab parameters, and writes jaxlab
parameters back out in the same layout, so a model trained here loads in
`transformers` and a published checkpoint runs here.

Only NumPy and `safetensors` are needed (no torch): bfloat16 tensors load
through ml_dtypes. Unsupported architectures, missing tensors, unexpected
tensors and shape mismatches raise `CheckpointError` naming the culprit.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import Any, Iterator

import flax.linen as nn
import jax
import numpy as np

from jaxlab.models.transformer import TransformerConfig, Yarn

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"

# architecture -> (model_type, block_norm, qk_norm_scope)
ARCHITECTURES = {
    "Qwen3ForCausalLM": ("qwen3", "pre", "head"),
    "Olmo2ForCausalLM": ("olmo2", "post", "all"),
    "Olmo3ForCausalLM": ("olmo3", "post", "all"),
}
_LAYER_TYPES = {"full_attention": "full", "sliding_attention": "sliding"}


class CheckpointError(ValueError):
  """A checkpoint that jaxlab cannot read or write, with the reason."""


@dataclasses.dataclass(frozen=True)
class _Tensor:
  """One parameter: its jaxlab path, Hugging Face name and layout.

  `n_in` > 0 marks a linear kernel whose first `n_in` axes are inputs
  (Hugging Face stores ``[out, in]``); 0 marks a tensor stored as is, up to
  a reshape (embeddings, norm scales, biases).
  """
  path: tuple[str, ...]
  name: str
  shape: tuple[int, ...]
  n_in: int = 0

  @property
  def hf_shape(self) -> tuple[int, ...]:
    if self.n_in:
      return (math.prod(self.shape[self.n_in:]), math.prod(self.shape[:self.n_in]))
    return self.shape if self.path[0] == "embed" else (math.prod(self.shape),)

  def to_jax(self, w: np.ndarray) -> np.ndarray:
    return (w.T if self.n_in else w).reshape(self.shape)

  def to_hf(self, w: np.ndarray) -> np.ndarray:
    if self.n_in:
      return np.ascontiguousarray(w.reshape(self.hf_shape[::-1]).T)
    return w.reshape(self.hf_shape)


def _tensors(cfg: TransformerConfig) -> Iterator[_Tensor]:
  """Every parameter of `cfg`'s model with its Hugging Face name."""
  d, h, kv, hd, f = cfg.d_model, cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, cfg.mlp_dim
  yield _Tensor(("embed", "embedding"), "model.embed_tokens.weight", (cfg.vocab_size, d))
  norm_names = (("input_layernorm", "post_attention_layernorm") if cfg.block_norm == "pre"
                else ("post_attention_layernorm", "post_feedforward_layernorm"))
  for i in range(cfg.num_layers):
    blk, hf = f"blocks_{i}", f"model.layers.{i}"
    for ours, theirs, heads in (("query", "q", h), ("key", "k", kv), ("value", "v", kv)):
      yield _Tensor((blk, "attn", ours, "kernel"), f"{hf}.self_attn.{theirs}_proj.weight",
                    (d, heads, hd), n_in=1)
      if cfg.attention_bias:
        yield _Tensor((blk, "attn", ours, "bias"), f"{hf}.self_attn.{theirs}_proj.bias",
                      (heads, hd))
    yield _Tensor((blk, "attn", "out", "kernel"), f"{hf}.self_attn.o_proj.weight",
                  (h, hd, d), n_in=2)
    if cfg.attention_bias:
      yield _Tensor((blk, "attn", "out", "bias"), f"{hf}.self_attn.o_proj.bias", (d,))
    if cfg.qk_norm:
      for ours, theirs, heads in (("query_norm", "q_norm", h), ("key_norm", "k_norm", kv)):
        shape = (hd,) if cfg.qk_norm_scope == "head" else (heads, hd)
        yield _Tensor((blk, "attn", ours, "scale"), f"{hf}.self_attn.{theirs}.weight", shape)
    for ours, theirs, shape in (("gate", "gate", (d, f)), ("up", "up", (d, f)),
                                ("down", "down", (f, d))):
      yield _Tensor((blk, "mlp", ours, "kernel"), f"{hf}.mlp.{theirs}_proj.weight", shape,
                    n_in=1)
    yield _Tensor((blk, "attn_norm", "scale"), f"{hf}.{norm_names[0]}.weight", (d,))
    yield _Tensor((blk, "mlp_norm", "scale"), f"{hf}.{norm_names[1]}.weight", (d,))
  yield _Tensor(("final_norm", "scale"), "model.norm.weight", (d,))
  if not cfg.tie_embeddings:
    yield _Tensor(("head", "kernel"), "lm_head.weight", (d, cfg.vocab_size), n_in=1)


def _rope_kind(params: dict[str, Any]) -> str:
  return params.get("rope_type", params.get("type", "default"))


def _rope_per_layer_type(hf: dict[str, Any], arch: str) -> dict[str, dict[str, Any]]:
  """Rotary parameters of full and sliding layers, read as transformers reads them.

  Configs come as transformers-4 ``rope_theta`` + ``rope_scaling`` (what the
  hub's checkpoints carry) or transformers-5 ``rope_parameters``. OLMo-3
  applies ``rope_scaling`` to its full-attention layers only, and keeps
  one ``rope_parameters`` entry per layer type.
  """
  olmo3 = arch == "Olmo3ForCausalLM"
  theta = hf.get("rope_theta", 500_000.0 if olmo3 else 10_000.0)
  params = hf.get("rope_parameters")
  if params is None:
    scaled = {"rope_type": "default", **(hf.get("rope_scaling") or {}), "rope_theta": theta}
    plain = {"rope_type": "default", "rope_theta": theta}
    return {"full": scaled, "sliding": plain if olmo3 else scaled}
  if olmo3:
    return {kind: {"rope_theta": theta, **(params.get(f"{kind}_attention") or {})}
            for kind in ("full", "sliding")}
  return {"full": {"rope_theta": theta, **params}, "sliding": {"rope_theta": theta, **params}}


def _yarn(params: dict[str, Any], max_len: int, full_layers_only: bool) -> Yarn:
  unsupported = sorted(k for k in ("mscale", "mscale_all_dim", "partial_rotary_factor")
                       if params.get(k) not in (None, 1.0))
  if unsupported:
    raise CheckpointError(f"unsupported YaRN parameters {unsupported} in {params}")
  original = int(params["original_max_position_embeddings"])
  return Yarn(factor=float(params.get("factor") or max_len / original),
              original_max_len=original,
              beta_fast=float(params.get("beta_fast") or 32.0),
              beta_slow=float(params.get("beta_slow") or 1.0),
              attention_factor=params.get("attention_factor"),
              truncate=bool(params.get("truncate", True)),
              full_layers_only=full_layers_only)


def _rope_settings(hf: dict[str, Any], arch: str) -> tuple[float, Yarn | None]:
  """(rope_theta, yarn) of a config; plain RoPE and YaRN are supported."""
  per_type = _rope_per_layer_type(hf, arch)
  full, sliding = per_type["full"], per_type["sliding"]
  thetas = {float(p["rope_theta"]) for p in per_type.values()}
  kinds = (_rope_kind(full), _rope_kind(sliding))
  max_len = hf.get("max_position_embeddings", 2048)
  if len(thetas) == 1 and kinds == ("default", "default"):
    return thetas.pop(), None
  if len(thetas) == 1 and kinds == ("yarn", "yarn") and full == sliding:
    return thetas.pop(), _yarn(full, max_len, full_layers_only=False)
  if len(thetas) == 1 and kinds == ("yarn", "default"):
    return thetas.pop(), _yarn(full, max_len, full_layers_only=True)
  raise CheckpointError(f"unsupported rope parameters {per_type}: jaxlab implements "
                        f"plain RoPE and YaRN with one theta for all layers")


def _rope_to_hf(cfg: TransformerConfig, arch: str) -> dict[str, Any]:
  plain = {"rope_type": "default", "rope_theta": cfg.rope_theta}
  scaled = plain
  if cfg.yarn is not None:
    y = cfg.yarn
    scaled = {"rope_type": "yarn", "rope_theta": cfg.rope_theta, "factor": y.factor,
              "original_max_position_embeddings": y.original_max_len,
              "beta_fast": y.beta_fast, "beta_slow": y.beta_slow, "truncate": y.truncate}
    if y.attention_factor is not None:
      scaled["attention_factor"] = y.attention_factor
  if arch == "Olmo3ForCausalLM":
    sliding = plain if cfg.yarn is not None and cfg.yarn.full_layers_only else scaled
    return {"full_attention": scaled, "sliding_attention": sliding}
  if cfg.yarn is not None and cfg.yarn.full_layers_only and cfg.layer_types is not None:
    raise CheckpointError(f"{arch} cannot restrict YaRN to full-attention layers")
  return scaled


def config_from_hf(hf: dict[str, Any], dtype: str | None = None,
                   param_dtype: str | None = None) -> TransformerConfig:
  """A `TransformerConfig` from a Hugging Face config.json dict."""
  archs = hf.get("architectures") or []
  arch = next((a for a in archs if a in ARCHITECTURES), None)
  if arch is None:
    raise CheckpointError(f"unsupported architecture {archs or hf.get('model_type')}; "
                          f"jaxlab reads {sorted(ARCHITECTURES)}")
  _, block_norm, scope = ARCHITECTURES[arch]
  if hf.get("hidden_act", "silu") != "silu":
    raise CheckpointError(f"unsupported hidden_act {hf['hidden_act']!r}; jaxlab's MLP is SwiGLU (silu)")
  layer_types = None
  if hf.get("layer_types") and (arch != "Qwen3ForCausalLM" or hf.get("use_sliding_window")):
    unknown = sorted(set(hf["layer_types"]) - set(_LAYER_TYPES))
    if unknown:
      raise CheckpointError(f"unsupported layer_types {unknown}; jaxlab knows {sorted(_LAYER_TYPES)}")
    layer_types = tuple(_LAYER_TYPES[t] for t in hf["layer_types"])
    if "sliding" not in layer_types:
      layer_types = None
  stored = hf.get("dtype") or hf.get("torch_dtype") or "float32"
  rope_theta, yarn = _rope_settings(hf, arch)
  heads = hf["num_attention_heads"]
  return TransformerConfig(
      vocab_size=hf["vocab_size"], d_model=hf["hidden_size"],
      num_layers=hf["num_hidden_layers"], num_heads=heads,
      num_kv_heads=hf.get("num_key_value_heads") or heads,
      head_dim=hf.get("head_dim") or hf["hidden_size"] // heads,
      mlp_dim=hf["intermediate_size"], rope_theta=rope_theta, yarn=yarn, qk_norm=True,
      qk_norm_scope=scope, block_norm=block_norm,
      tie_embeddings=bool(hf.get("tie_word_embeddings", False)), positional="rope",
      max_len=hf.get("max_position_embeddings", 2048),
      sliding_window=hf.get("sliding_window") if layer_types else None,
      layer_types=layer_types, attention_bias=bool(hf.get("attention_bias", False)),
      norm_eps=hf.get("rms_norm_eps", 1e-6), dtype=dtype or stored,
      param_dtype=param_dtype or stored)


def config_to_hf(cfg: TransformerConfig) -> dict[str, Any]:
  """The Hugging Face config.json dict of `cfg` (Qwen3, OLMo-2 or OLMo-3)."""
  if cfg.positional != "rope" or not cfg.qk_norm:
    raise CheckpointError(f"no Hugging Face architecture matches positional="
                          f"{cfg.positional!r}, qk_norm={cfg.qk_norm}: Qwen3 and OLMo "
                          f"need rope and q/k norm")
  sliding = cfg.layer_types is not None and "sliding" in cfg.layer_types
  matches = [a for a, (_, norm, scope) in ARCHITECTURES.items()
             if norm == cfg.block_norm and scope == cfg.qk_norm_scope
             and (a != "Olmo2ForCausalLM" or not sliding)
             and (a != "Olmo3ForCausalLM" or sliding)]
  if not matches:
    raise CheckpointError(f"no Hugging Face architecture matches block_norm="
                          f"{cfg.block_norm!r}, qk_norm_scope={cfg.qk_norm_scope!r}")
  arch = matches[0]
  hf = {
      "architectures": [arch], "model_type": ARCHITECTURES[arch][0],
      "vocab_size": cfg.vocab_size, "hidden_size": cfg.d_model,
      "intermediate_size": cfg.mlp_dim, "num_hidden_layers": cfg.num_layers,
      "num_attention_heads": cfg.num_heads, "num_key_value_heads": cfg.num_kv_heads,
      "head_dim": cfg.head_dim, "hidden_act": "silu",
      "max_position_embeddings": cfg.max_len, "rms_norm_eps": cfg.norm_eps,
      "rope_theta": cfg.rope_theta, "rope_parameters": _rope_to_hf(cfg, arch),
      "tie_word_embeddings": cfg.tie_embeddings,
      "attention_bias": cfg.attention_bias, "dtype": cfg.param_dtype,
  }
  if sliding:
    hf["sliding_window"] = cfg.sliding_window
    hf["layer_types"] = [{"full": "full_attention", "sliding": "sliding_attention"}[t]
                         for t in cfg.layer_types]
  return hf


def _read_tensors(path: str) -> dict[str, np.ndarray]:
  from safetensors.numpy import load_file
  index = os.path.join(path, INDEX_FILE)
  if os.path.exists(index):
    with open(index) as f:
      files = sorted(set(json.load(f)["weight_map"].values()))
  elif os.path.exists(os.path.join(path, WEIGHTS_FILE)):
    files = [WEIGHTS_FILE]
  else:
    raise CheckpointError(f"{path} has neither {WEIGHTS_FILE} nor {INDEX_FILE}")
  tensors: dict[str, np.ndarray] = {}
  for name in files:
    tensors.update(load_file(os.path.join(path, name)))
  return tensors


def load_checkpoint(path: str, dtype: str | None = None, param_dtype: str | None = None
                    ) -> tuple[TransformerConfig, Any]:
  """(config, params) of the Hugging Face checkpoint directory `path`.

  Parameters keep the checkpoint's dtype unless `param_dtype` is given;
  `dtype` sets the compute dtype (default: the checkpoint's).
  """
  config_path = os.path.join(path, CONFIG_FILE)
  if not os.path.exists(config_path):
    raise CheckpointError(f"{path} has no {CONFIG_FILE}")
  with open(config_path) as f:
    cfg = config_from_hf(json.load(f), dtype, param_dtype)
  tensors = _read_tensors(path)
  params: dict[str, Any] = {}
  expected = set()
  for t in _tensors(cfg):
    expected.add(t.name)
    if t.name not in tensors:
      raise CheckpointError(f"missing tensor {t.name!r} in {path}")
    w = tensors[t.name]
    if tuple(w.shape) != t.hf_shape:
      raise CheckpointError(f"tensor {t.name!r} has shape {tuple(w.shape)}, the config "
                            f"implies {t.hf_shape}")
    node = params
    for key in t.path[:-1]:
      node = node.setdefault(key, {})
    node[t.path[-1]] = t.to_jax(w).astype(cfg.param_dtype)
  # A tied checkpoint may still carry the (identical) head; anything else is a mismatch.
  unexpected = sorted(set(tensors) - expected - {"lm_head.weight"})
  if unexpected:
    raise CheckpointError(f"unexpected tensors {unexpected[:5]} in {path}: the config "
                          f"does not describe this checkpoint")
  return cfg, params


def save_checkpoint(path: str, config: TransformerConfig, params: Any,
                    max_shard_bytes: int | None = None) -> None:
  """Writes `params` as a Hugging Face checkpoint directory.

  With `max_shard_bytes`, tensors are split over
  ``model-0000i-of-0000n.safetensors`` files plus an index, as
  `save_pretrained` does for large models.
  """
  from safetensors.numpy import save_file
  hf_config = config_to_hf(config)
  params = jax.device_get(nn.meta.unbox(params))
  out: dict[str, np.ndarray] = {}
  for t in _tensors(config):
    node = params
    try:
      for key in t.path:
        node = node[key]
    except KeyError as e:
      raise CheckpointError(f"params lack {'/'.join(t.path)} (for {t.name})") from e
    if tuple(node.shape) != t.shape:
      raise CheckpointError(f"param {'/'.join(t.path)} has shape {tuple(node.shape)}, "
                            f"the config implies {t.shape}")
    out[t.name] = t.to_hf(np.asarray(node))
  os.makedirs(path, exist_ok=True)
  with open(os.path.join(path, CONFIG_FILE), "w") as f:
    json.dump(hf_config, f, indent=2)
  shards: list[dict[str, np.ndarray]] = [{}]
  for name, w in out.items():
    if max_shard_bytes and shards[-1] and (
        sum(x.nbytes for x in shards[-1].values()) + w.nbytes > max_shard_bytes):
      shards.append({})
    shards[-1][name] = w
  if len(shards) == 1:
    save_file(shards[0], os.path.join(path, WEIGHTS_FILE), metadata={"format": "pt"})
    return
  weight_map = {}
  for i, shard in enumerate(shards):
    name = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
    save_file(shard, os.path.join(path, name), metadata={"format": "pt"})
    weight_map.update({k: name for k in shard})
  with open(os.path.join(path, INDEX_FILE), "w") as f:
    json.dump({"metadata": {"total_size": sum(w.nbytes for w in out.values())},
               "weight_map": weight_map}, f, indent=2)
