"""Scan-based decoding: recorded statistics, strategy distribution on a real
model, stop tokens, padding invariance and input errors."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from jaxlab.models.transformer import Transformer, TransformerConfig, init_params
from jaxlab.sampling import decode, strategies as S

CFG = TransformerConfig(vocab_size=11, d_model=16, num_layers=1, num_heads=2,
                        num_kv_heads=1, max_len=32)
MODEL = Transformer(CFG)
PARAMS = init_params(CFG, jax.random.PRNGKey(0))
PROMPTS = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8], [9, 0, 0, 0, 0]])
LENS = np.array([3, 5, 1])
RNG = jax.random.PRNGKey(7)
HOT = S.Temperature(1.5)


def full_logp(prompts, lengths, continuations):
  """Log-probs of one causal forward pass over each prompt + continuation,
  right-padded into one batch (padding after a row never affects it)."""
  rows = [np.concatenate([p[:l], c]) for p, l, c in
          zip(prompts, lengths, np.asarray(continuations))]
  width = max(len(r) for r in rows)
  seq = np.stack([np.pad(r, (0, width - len(r))) for r in rows])
  return jax.nn.log_softmax(MODEL.apply({"params": PARAMS}, jnp.asarray(seq)), -1)


def test_records_match_a_full_forward_pass():
  g = decode.generate(MODEL, PARAMS, PROMPTS, LENS, HOT, 6, RNG)
  assert g.tokens_BxN.shape == (3, 6) and g.mask_BxN.all()
  np.testing.assert_array_equal(g.cache.lengths, LENS + 6)
  logp_all = full_logp(PROMPTS, LENS, g.tokens_BxN)
  for b in range(3):
    logp = logp_all[b]
    at = LENS[b] - 1 + np.arange(6)
    np.testing.assert_allclose(g.logprobs_BxN[b], logp[at, g.tokens_BxN[b]], atol=1e-5)
    entropy = -(jnp.exp(logp) * logp).sum(-1)[at]
    np.testing.assert_allclose(g.entropies_BxN[b], entropy, atol=1e-5)


def test_first_token_frequencies_match_the_strategy():
  n = 6000
  strategy = S.TopK(4, temperature=2.0)
  prompts = np.tile(PROMPTS[1], (n, 1))
  g = decode.generate(MODEL, PARAMS, prompts, np.full(n, 5), strategy, 1, RNG)
  logits = MODEL.apply({"params": PARAMS}, jnp.asarray(PROMPTS[1:2]))[:, -1]
  expected = np.exp(np.asarray(S.log_probs(strategy, logits), np.float64))[0]
  counts = np.bincount(np.asarray(g.tokens_BxN[:, 0]), minlength=CFG.vocab_size)
  assert counts[expected == 0].sum() == 0
  keep = expected > 0
  assert stats.chisquare(counts[keep], n * expected[keep] / expected[keep].sum()).pvalue > 1e-3


def test_done_rows_stop_changing():
  free = decode.generate(MODEL, PARAMS, PROMPTS, LENS, HOT, 8, RNG)
  stop = int(free.tokens_BxN[0, 2])
  g = decode.generate(MODEL, PARAMS, PROMPTS, LENS, HOT, 8, RNG, stop_tokens=(stop,),
                      pad_id=10)
  tok, free_tok = np.asarray(g.tokens_BxN), np.asarray(free.tokens_BxN)
  for b in range(3):
    hits = np.flatnonzero(free_tok[b] == stop)
    n_real = hits[0] + 1 if hits.size else 8
    np.testing.assert_array_equal(tok[b, :n_real], free_tok[b, :n_real])
    assert (tok[b, n_real:] == 10).all() and g.mask_BxN[b].sum() == n_real
    assert (np.asarray(g.logprobs_BxN[b, n_real:]) == 0).all()
    assert int(g.cache.lengths[b]) == LENS[b] + n_real
    assert bool(g.done_B[b]) == bool(hits.size)
  assert n_real <= 8 and g.done_B[0]


def test_padding_does_not_change_a_continuation():
  right = decode.generate(MODEL, PARAMS, PROMPTS, LENS, HOT, 5, RNG)
  wide = np.concatenate([PROMPTS, np.full((3, 3), 4)], 1)   # junk padding
  wider = decode.generate(MODEL, PARAMS, wide, LENS, HOT, 5, RNG)
  left_prompts = np.stack([np.roll(np.where(np.arange(5) < l, p, 6), 5 - l)
                           for p, l in zip(PROMPTS, LENS)])
  left = decode.generate(MODEL, PARAMS, left_prompts, LENS, HOT, 5, RNG,
                         padding="left")
  for other in (wider, left):
    np.testing.assert_array_equal(other.tokens_BxN, right.tokens_BxN)
    np.testing.assert_allclose(other.logprobs_BxN, right.logprobs_BxN, atol=1e-5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(prompt_lengths_B=np.array([3, 0, 1])), "empty prompt"),
    (dict(cache_len=8), "prompt longer than the cache"),
    (dict(strategy=S.Temperature(1.0), temperature_B=np.array([1., -.5, 1.])),
     "temperatures must be >= 0"),
    (dict(padding="middle"), "padding"),
])
def test_bad_input_raises(kwargs, match):
  args = dict(prompts_BxP=PROMPTS, prompt_lengths_B=LENS, strategy=HOT,
              max_new_tokens=4, rng=RNG)
  args.update(kwargs)
  with pytest.raises(ValueError, match=match):
    decode.generate(MODEL, PARAMS, **args)


@pytest.mark.parity
def test_greedy_matches_transformers_on_a_loaded_qwen3_checkpoint(tmp_path):
  torch = pytest.importorskip("torch")
  transformers = pytest.importorskip("transformers")
  from jaxlab.interop import hf
  torch.manual_seed(0)
  peer = transformers.Qwen3ForCausalLM(transformers.Qwen3Config(
      vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
      num_attention_heads=4, num_key_value_heads=2, head_dim=8,
      tie_word_embeddings=True)).eval()
  peer.save_pretrained(tmp_path)
  cfg, params = hf.load_checkpoint(str(tmp_path), dtype="float32", param_dtype="float32")
  prompt = np.array([[5, 9, 2, 33, 7]])
  ours = decode.generate(Transformer(cfg), params, prompt, np.array([5]), S.Greedy(),
                         8, RNG)
  with torch.no_grad():
    theirs = peer.generate(torch.as_tensor(prompt), do_sample=False, max_new_tokens=8,
                           min_new_tokens=8, pad_token_id=0,
                           attention_mask=torch.ones(1, 5, dtype=torch.long))
  np.testing.assert_array_equal(ours.tokens_BxN[0], theirs[0, 5:].numpy())
