"""Hugging Face checkpoint parity: transformers (PyTorch CPU) is the oracle.

Tiny random Qwen3 / OLMo-2 / OLMo-3 models are built offline from a config,
saved with `save_pretrained`, loaded by jaxlab, and compared: fp32 logits to
1e-4 on right-padded random token batches, and 32-token greedy
continuations of ragged prompts token for token.
"""
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from jaxlab.interop import hf  # noqa: E402
from jaxlab.models import transformer as tfm  # noqa: E402

pytestmark = pytest.mark.parity

COMMON = dict(vocab_size=61, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, head_dim=12,
              max_position_embeddings=64, initializer_range=0.2, bos_token_id=None,
              eos_token_id=None, pad_token_id=0)
# GQA (2 kv heads < 4 heads) and head_dim 12 != 32 / 4 everywhere.
MODELS = {
    "qwen3_tied": ("Qwen3", dict(tie_word_embeddings=True, rope_theta=1e6)),
    "olmo2_untied": ("Olmo2", dict(tie_word_embeddings=False)),
    "olmo3_sliding_tied": ("Olmo3", dict(tie_word_embeddings=True, sliding_window=3,
                                         layer_types=["sliding_attention", "full_attention"])),
    # YaRN on the full layers only, given the way hub checkpoints spell it
    # (transformers-4 rope_theta + rope_scaling; the test rewrites config.json).
    "olmo3_yarn_untied": ("Olmo3", dict(
        tie_word_embeddings=False, sliding_window=4, rope_theta=5e5,
        layer_types=["full_attention", "sliding_attention"],
        rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16,
                      "beta_fast": 32, "beta_slow": 1, "attention_factor": 1.3})),
    "qwen3_yarn_untied": ("Qwen3", dict(tie_word_embeddings=False, rope_theta=1e4,
                                        rope_scaling={"rope_type": "yarn", "factor": 4.0,
                                                      "original_max_position_embeddings": 16})),
}
B, L = 3, 10
LENGTHS = np.array([10, 6, 3])


def _build(kind: str, path: str, max_shard_size=None):
  family, extra = MODELS[kind]
  config = getattr(transformers, f"{family}Config")(**COMMON, **extra)
  torch.manual_seed(0)
  model = getattr(transformers, f"{family}ForCausalLM")(config).eval()
  kwargs = {} if max_shard_size is None else {"max_shard_size": max_shard_size}
  model.save_pretrained(path, **kwargs)
  if "rope_scaling" in extra:
    config_path = os.path.join(path, hf.CONFIG_FILE)
    with open(config_path) as f:
      saved = json.load(f)
    saved.pop("rope_parameters")
    saved.update(rope_theta=extra["rope_theta"], rope_scaling=extra["rope_scaling"])
    with open(config_path, "w") as f:
      json.dump(saved, f)
  return model


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_logits_and_greedy_continuations_match_transformers(kind, tmp_path):
  model = _build(kind, str(tmp_path), max_shard_size="20KB" if kind == "olmo2_untied" else None)
  if kind == "olmo2_untied":
    assert os.path.exists(tmp_path / hf.INDEX_FILE)     # the sharded layout is read too
  cfg, params = hf.load_checkpoint(str(tmp_path))
  assert (cfg.num_kv_heads, cfg.head_dim, cfg.tie_embeddings) == (
      2, 12, MODELS[kind][1]["tie_word_embeddings"])
  assert (cfg.yarn is not None) == ("yarn" in kind)
  rng = np.random.default_rng(0)
  tokens = rng.integers(1, COMMON["vocab_size"], size=(B, L))
  valid = np.arange(L)[None] < LENGTHS[:, None]
  tokens = np.where(valid, tokens, 0)   # right padding
  with torch.no_grad():
    ref = model(input_ids=torch.tensor(tokens),
                attention_mask=torch.tensor(valid.astype(np.int64))).logits.numpy()
  ours = np.asarray(jax.jit(tfm.Transformer(cfg).apply)(
      {"params": params}, jnp.asarray(tokens), jnp.asarray(valid)))
  for b in range(B):
    np.testing.assert_allclose(ours[b, :LENGTHS[b]], ref[b, :LENGTHS[b]], atol=1e-4, rtol=0)

  # Greedy: transformers gets the prompts left-padded, jaxlab right-padded.
  left = np.zeros_like(tokens)
  for b in range(B):
    left[b, L - LENGTHS[b]:] = tokens[b, :LENGTHS[b]]
  with torch.no_grad():
    out = model.generate(torch.tensor(left), attention_mask=torch.tensor(left != 0).long(),
                         max_new_tokens=32, do_sample=False)
  expected = out[:, L:].numpy()
  got = np.asarray(tfm.generate_greedy(cfg, params, jnp.asarray(tokens),
                                       jnp.asarray(LENGTHS), 32))
  np.testing.assert_array_equal(got, expected)


def test_round_trip_is_exact_and_transformers_reads_our_checkpoint(tmp_path):
  _build("olmo3_sliding_tied", str(tmp_path / "hf"))
  cfg, params = hf.load_checkpoint(str(tmp_path / "hf"))
  hf.save_checkpoint(str(tmp_path / "ours"), cfg, params, max_shard_bytes=30_000)
  assert os.path.exists(tmp_path / "ours" / hf.INDEX_FILE)
  cfg2, params2 = hf.load_checkpoint(str(tmp_path / "ours"))
  assert cfg2 == cfg
  jax.tree.map(np.testing.assert_array_equal, params2, params)
  # A jaxlab-initialised Qwen3-shaped model saved by jaxlab loads in transformers.
  mine = tfm.TransformerConfig(vocab_size=50, d_model=16, num_layers=1, num_heads=2,
                               num_kv_heads=1, head_dim=8, mlp_dim=24, qk_norm=True,
                               tie_embeddings=False, rope_theta=1e4, max_len=32)
  p = tfm.init_params(mine, jax.random.PRNGKey(0))
  hf.save_checkpoint(str(tmp_path / "mine"), mine, p)
  theirs = transformers.AutoModelForCausalLM.from_pretrained(str(tmp_path / "mine")).eval()
  assert type(theirs).__name__ == "Qwen3ForCausalLM"
  tokens = np.arange(12)[None] % 50
  with torch.no_grad():
    ref = theirs(input_ids=torch.tensor(tokens)).logits.numpy()
  ours = tfm.Transformer(mine).apply({"params": p}, jnp.asarray(tokens))
  np.testing.assert_allclose(ours, ref, atol=1e-4, rtol=0)


def test_bad_checkpoints_raise_clear_errors(tmp_path):
  from safetensors.numpy import load_file, save_file
  _build("qwen3_tied", str(tmp_path))
  weights = tmp_path / hf.WEIGHTS_FILE
  tensors = load_file(str(weights))
  config = json.loads((tmp_path / hf.CONFIG_FILE).read_text())

  (tmp_path / hf.CONFIG_FILE).write_text(json.dumps({**config, "architectures": ["GPT2LMHeadModel"]}))
  with pytest.raises(hf.CheckpointError, match="unsupported architecture.*GPT2LMHeadModel"):
    hf.load_checkpoint(str(tmp_path))
  (tmp_path / hf.CONFIG_FILE).write_text(json.dumps(config))

  name = "model.layers.1.mlp.up_proj.weight"
  save_file({k: v for k, v in tensors.items() if k != name}, str(weights))
  with pytest.raises(hf.CheckpointError, match=f"missing tensor '{name}'"):
    hf.load_checkpoint(str(tmp_path))
  save_file({**tensors, name: tensors[name][:, :5]}, str(weights))
  with pytest.raises(hf.CheckpointError, match=rf"{name}' has shape \(48, 5\).*\(48, 32\)"):
    hf.load_checkpoint(str(tmp_path))
  with pytest.raises(hf.CheckpointError, match="positional='learned'"):
    hf.save_checkpoint(str(tmp_path / "x"), tfm.TransformerConfig(
        vocab_size=8, d_model=8, num_layers=1, num_heads=2, positional="learned"), {})
