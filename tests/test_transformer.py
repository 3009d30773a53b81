"""The decoder: forward pass, the KV-cache decode contract, masks, errors, sharding."""
import dataclasses
import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, PartitionSpec as P

from jaxlab.models import transformer as tfm
from jaxlab.train.state import state_shardings

# GQA (4 heads on 2 kv heads), head_dim != d_model / heads, q/k norm, untied
# head, one sliding-window layer: every branch of the attention code.
CFG = tfm.TransformerConfig(
    vocab_size=40, d_model=24, num_layers=2, num_heads=4, num_kv_heads=2,
    head_dim=10, mlp_dim=32, qk_norm=True, tie_embeddings=False,
    layer_types=("sliding", "full"), sliding_window=4)
B, L = 3, 9
LENGTHS = jnp.array([9, 4, 6], jnp.int32)


@pytest.fixture(scope="module")
def setup():
  params = tfm.init_params(CFG, jax.random.PRNGKey(0))
  tokens = jax.random.randint(jax.random.PRNGKey(1), (B, L), 0, CFG.vocab_size)
  return params, tokens, _forward(CFG, params, tokens)


def _decode_eager(cfg, params, tokens, cache, **kw):
  return tfm.Transformer(cfg).apply({"params": params}, tokens, cache,
                                    method=tfm.Transformer.decode, **kw)


# Jitted entry points: one compile per shape instead of op-by-op dispatch.
_decode = jax.jit(_decode_eager, static_argnums=0)


@functools.partial(jax.jit, static_argnums=0)
def _forward(cfg, params, tokens, valid=None, prefix_len=None):
  return tfm.Transformer(cfg).apply({"params": params}, tokens, valid, prefix_len)


def test_forward_shape_and_causality(setup):
  params, tokens, full = setup
  assert full.shape == (B, L, CFG.vocab_size) and full.dtype == jnp.float32
  changed = tokens.at[:, 5].set((tokens[:, 5] + 1) % CFG.vocab_size)
  again = _forward(CFG, params, changed)
  np.testing.assert_array_equal(again[:, :5], full[:, :5])
  assert not np.allclose(again[:, 5:], full[:, 5:])


def test_ragged_prefill_then_steps_match_full_forward(setup):
  params, tokens, full = setup
  cache = tfm.init_cache(CFG, B, 16)
  logits, cache = _decode(CFG, params, tokens, cache, num_new=LENGTHS)
  np.testing.assert_array_equal(cache.lengths, LENGTHS)
  for b in range(B):
    np.testing.assert_allclose(logits[b, :LENGTHS[b]], full[b, :LENGTHS[b]], atol=1e-5)
  # Continue each row with its own next tokens, one jitted step at a time; the
  # reference is one full forward over the rows' whole (right-padded) sequences.
  ext = jax.random.randint(jax.random.PRNGKey(2), (B, 4), 0, CFG.vocab_size)
  whole = np.zeros((B, L + 4), np.int32)
  for b in range(B):
    whole[b, :LENGTHS[b] + 4] = np.concatenate([tokens[b, :LENGTHS[b]], ext[b]])
  ref = _forward(CFG, params, jnp.asarray(whole))
  for i in range(4):
    logits, cache = _decode(CFG, params, ext[:, i:i + 1], cache)
    np.testing.assert_allclose(logits[:, 0], ref[jnp.arange(B), LENGTHS + i], atol=1e-5)


def test_token_by_token_in_scan_matches_full_forward(setup):
  params, tokens, full = setup

  def body(cache, token_B):
    logits, cache = _decode(CFG, params, token_B[:, None], cache)
    return cache, logits[:, 0]

  _, logits_LxBxV = jax.lax.scan(body, tfm.init_cache(CFG, B, L), tokens.T)
  np.testing.assert_allclose(jnp.swapaxes(logits_LxBxV, 0, 1), full, atol=1e-5)


def test_shared_prefix_then_suffix_matches_full_forward(setup):
  params, tokens, full = setup
  prefix_lengths = jnp.array([4, 3], jnp.int32)
  prefix = tfm.init_cache(CFG, 2, 6)
  _, prefix = _decode(CFG, params, tokens[:2, :5], prefix, num_new=prefix_lengths)
  rows = jnp.array([0, 1, 0], jnp.int32)
  suffix = jnp.stack([tokens[0, 4:9], tokens[1, 3:8], tokens[0, 4:9]])
  logits, cache = _decode(CFG, params, suffix, tfm.init_cache(CFG, 3, 5),
                          prefix=prefix, prefix_rows=rows)
  np.testing.assert_allclose(logits[0], full[0, 4:9], atol=1e-5)
  np.testing.assert_allclose(logits[1], full[1, 3:8], atol=1e-5)
  np.testing.assert_allclose(logits[2], logits[0], atol=1e-6)
  np.testing.assert_array_equal(cache.lengths, [5, 5, 5])


def test_gather_copies_rows(setup):
  params, tokens, _ = setup
  _, cache = _decode(CFG, params, tokens, tfm.init_cache(CFG, B, 10), num_new=LENGTHS)
  picked = cache.gather(jnp.array([2, 2, 0]))
  np.testing.assert_array_equal(picked.lengths, [6, 6, 9])
  np.testing.assert_array_equal(picked.k[:, 1], cache.k[:, 2])
  np.testing.assert_array_equal(picked.v[:, 2], cache.v[:, 0])


def test_padding_and_prefix_masks(setup):
  params, tokens, full = setup
  valid = jnp.arange(L)[None] < LENGTHS[:, None]
  padded = _forward(CFG, params, jnp.where(valid, tokens, 0), valid)
  for b in range(B):
    np.testing.assert_allclose(padded[b, :LENGTHS[b]], full[b, :LENGTHS[b]], atol=1e-5)
  prefix_lm = _forward(CFG, params, tokens, None, jnp.array([3, 0, 0]))
  np.testing.assert_allclose(prefix_lm[1:], full[1:], atol=1e-6)
  assert not np.allclose(prefix_lm[0, :3], full[0, :3], atol=1e-4)  # sees the future
  np.testing.assert_allclose(tfm.attention_mask(
      jnp.arange(4)[None], jnp.arange(4)[None], jnp.ones((1, 4), bool), window=2)[0],
      np.tril(np.ones((4, 4))) - np.tril(np.ones((4, 4)), -2))


@pytest.mark.parametrize("positional", ["learned", "none"])
def test_other_positional_codes_decode_exactly(positional):
  cfg = dataclasses.replace(CFG, positional=positional, max_len=16, layer_types=None)
  params = tfm.init_params(cfg, jax.random.PRNGKey(3))
  tokens = jax.random.randint(jax.random.PRNGKey(4), (2, 6), 0, cfg.vocab_size)
  full = _forward(cfg, params, tokens)
  logits, _ = _decode(cfg, params, tokens, tfm.init_cache(cfg, 2, 8))
  np.testing.assert_allclose(logits, full, atol=1e-5)


def test_greedy_generate_follows_argmax(setup):
  params, tokens, _ = setup
  out = tfm.generate_greedy(CFG, params, tokens, LENGTHS, 3)
  assert out.shape == (B, 3)
  seq = jnp.zeros((B, L + 3), jnp.int32).at[:, :L].set(tokens)
  for i in range(3):   # causal: right padding never changes earlier logits
    logits = _forward(CFG, params, seq)[jnp.arange(B), LENGTHS + i - 1]
    np.testing.assert_array_equal(out[:, i], jnp.argmax(logits, axis=-1))
    seq = seq.at[jnp.arange(B), LENGTHS + i].set(out[:, i])


def test_bad_inputs_raise_clear_errors(setup):
  params, tokens, _ = setup
  model = tfm.Transformer(CFG)
  with pytest.raises(ValueError, match=r"token ids must lie in \[0, 40\)"):
    model.apply({"params": params}, tokens.at[0, 0].set(40))
  with pytest.raises(ValueError, match="sequence longer than the cache"):
    _decode_eager(CFG, params, tokens, tfm.init_cache(CFG, B, 12).replace(
        lengths=jnp.array([0, 4, 0], jnp.int32)))
  with pytest.raises(ValueError, match="num_kv_heads=3"):
    tfm.TransformerConfig(vocab_size=8, d_model=8, num_layers=1, num_heads=4, num_kv_heads=3)
  with pytest.raises(ValueError, match="positional='alibi'"):
    tfm.TransformerConfig(vocab_size=8, d_model=8, num_layers=1, num_heads=2,
                          positional="alibi")
  # Under jit an overflowing row is poisoned (NaN logits), the others are fine.
  logits, _ = _decode(CFG, params, tokens[:, :2],
                      tfm.init_cache(CFG, B, 4).replace(lengths=jnp.array([0, 3, 2], jnp.int32)))
  logits = np.asarray(logits)
  assert np.isnan(logits[1]).all() and np.isfinite(logits[[0, 2]]).all()


def test_partitioning_annotations_follow_the_mesh():
  abstract = jax.eval_shape(lambda r: tfm.init_params(CFG, r), jax.random.PRNGKey(0))
  devices = np.asarray(jax.devices()[:4]).reshape(2, 2)
  specs = state_shardings(abstract, Mesh(devices, ("fsdp", "tensor")))
  assert specs["blocks_0"]["attn"]["query"]["kernel"].spec == P("fsdp", "tensor", None)
  assert specs["blocks_0"]["mlp"]["down"]["kernel"].spec == P("tensor", "fsdp")
  data_only = state_shardings(abstract, Mesh(np.asarray(jax.devices()[:4]), ("data",)))
  assert data_only["embed"]["embedding"].spec == P(None, None)


def test_fsdp_tensor_sharded_forward_matches_replicated(setup):
  params, tokens, full = setup
  mesh = Mesh(np.asarray(jax.devices()[:4]).reshape(2, 2), ("fsdp", "tensor"))
  boxed = jax.eval_shape(lambda r: tfm.init_params(CFG, r), jax.random.PRNGKey(0))
  sharded = jax.device_put(nn.meta.unbox(params), nn.meta.unbox(
      state_shardings(boxed, mesh)))
  assert sharded["blocks_1"]["mlp"]["up"]["kernel"].sharding.spec == P("fsdp", "tensor")
  np.testing.assert_allclose(_forward(CFG, sharded, tokens), full, atol=1e-5)
