"""Sampling throughput: jaxlab's scan decoder vs transformers' `generate`.

One random Qwen3-style model is built in PyTorch (transformers, CPU),
saved as a Hugging Face checkpoint and loaded into jaxlab through
`jaxlab.interop.hf`, so both run the same weights. Measured, median of
repeats after a warm-up (jaxlab's compile is excluded, as is PyTorch's
first call):

- (a) 64 parallel samples of 256 new tokens from one prompt
  (`generate(num_return_sequences=64, do_sample=True)` vs
  `jaxlab.sampling.parallel_sample`, scanning in 32-token segments unless
  `--segment-tokens` says otherwise);
- (b) a 3-level tree with branching 4 (4 -> 16 -> 64 nodes); the peer
  grows it level by level with `generate` on the previous level's
  sequences (re-encoding the prefix each level, its natural way), jaxlab
  with `tree_search` in one jitted call (segmented the same way);
- the peer is timed with each torch thread count given and its best is
  reported (oversubscribed CPUs punish extra threads badly);
- the persistent KV-cache memory of tree (b) with shared prefixes vs with
  a gathered full-length cache per node.

    jaxlab bench sampling [--quick]
"""
from __future__ import annotations

import argparse
import tempfile

import jax
import numpy as np

from jaxlab.benchmarks.common import markdown_table, median_seconds

SEGMENT = 32   # default tokens per scan (see tree_search); 0 = one scan per level
DESCRIPTION = ("Generated tokens/s: 64 parallel samples and a branching-4 tree, "
               "jaxlab lax.scan decoding vs transformers generate (CPU); tree KV memory")


def _peer_model(vocab: int, d_model: int, layers: int, heads: int, kv_heads: int):
  import torch
  import transformers
  torch.manual_seed(0)
  cfg = transformers.Qwen3Config(
      vocab_size=vocab, hidden_size=d_model, intermediate_size=3 * d_model,
      num_hidden_layers=layers, num_attention_heads=heads,
      num_key_value_heads=kv_heads, head_dim=d_model // heads,
      max_position_embeddings=2048, tie_word_embeddings=True)
  model = transformers.Qwen3ForCausalLM(cfg).eval()
  return model


def _best_peer_time(fn, thread_counts: list[int], repeats: int) -> tuple[float, int]:
  """(median seconds, threads) of the fastest torch thread count."""
  import torch
  times = []
  for n in thread_counts:
    torch.set_num_threads(n)
    times.append((median_seconds(fn, repeats=repeats), n))
  return min(times)


def main(argv: list[str]) -> str:
  parser = argparse.ArgumentParser(prog="jaxlab bench sampling")
  parser.add_argument("--quick", action="store_true",
                      help="fewer tokens and repeats (a smoke run)")
  parser.add_argument("--repeats", type=int, default=3)
  parser.add_argument("--torch-threads", default="1,2",
                      help="comma-separated torch thread counts; the peer's best counts")
  parser.add_argument("--segment-tokens", type=int, default=SEGMENT,
                      help="tokens per lax.scan in the timed jaxlab runs; 0 = one scan "
                           "per level (keeps the shared prefixes)")
  args = parser.parse_args(argv)
  segment_tokens = args.segment_tokens or None
  import torch
  from jaxlab.interop import hf
  from jaxlab.models.transformer import Transformer
  from jaxlab.sampling import Level, Temperature, parallel_sample, tree_search

  thread_counts = [int(t) for t in args.torch_threads.split(",")]
  num_samples, new_tokens = (16, 32) if args.quick else (64, 256)
  branching, depth, level_tokens = 4, 3, (16 if args.quick else 64)
  repeats = 1 if args.quick else args.repeats
  peer = _peer_model(vocab=512, d_model=128, layers=4, heads=4, kv_heads=2)
  with tempfile.TemporaryDirectory() as tmp:
    peer.save_pretrained(tmp)
    cfg, params = hf.load_checkpoint(tmp, dtype="float32", param_dtype="float32")
  model = Transformer(cfg)
  prompt = np.arange(1, 17, dtype=np.int32)[None] % cfg.vocab_size
  lengths = np.array([prompt.shape[1]], np.int32)
  strategy = Temperature(1.0)
  levels = [Level(branching, level_tokens) for _ in range(depth)]
  tree_tokens = sum(branching ** (i + 1) * level_tokens for i in range(depth))

  def jax_parallel():
    r = parallel_sample(model, params, prompt, lengths, num_samples, new_tokens,
                        strategy, jax.random.PRNGKey(0), segment_tokens=segment_tokens)
    jax.block_until_ready(r.tokens_BxKxT)

  def jax_tree(share=True, segment=segment_tokens):
    r = tree_search(model, params, prompt, lengths, levels, strategy,
                    jax.random.PRNGKey(0), share_prefix=share, segment_tokens=segment)
    jax.block_until_ready(r.tokens_BxKxT)
    return r

  def peer_generate(ids, n, tokens):
    with torch.no_grad():
      return peer.generate(ids, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                           max_new_tokens=tokens, min_new_tokens=tokens,
                           num_return_sequences=n, pad_token_id=0,
                           attention_mask=torch.ones_like(ids))

  def peer_parallel():
    peer_generate(torch.as_tensor(prompt, dtype=torch.long), num_samples, new_tokens)

  def peer_tree():
    ids = torch.as_tensor(prompt, dtype=torch.long)
    for _ in range(depth):
      ids = peer_generate(ids, branching, level_tokens)

  rows = []
  for name, tokens, ours, theirs in (
      (f"(a) {num_samples} parallel samples x {new_tokens} tokens",
       num_samples * new_tokens, jax_parallel, peer_parallel),
      (f"(b) tree: branching {branching}, {depth} levels x {level_tokens} tokens",
       tree_tokens, jax_tree, peer_tree)):
    t_ours = median_seconds(ours, repeats=repeats)
    t_peer, best_threads = _best_peer_time(theirs, thread_counts, repeats)
    rows.append([name, tokens / t_ours, tokens / t_peer, t_peer / t_ours, best_threads])
  speed = markdown_table(
      ["workload (same random Qwen3-style weights, CPU)", "jaxlab tokens/s",
       "transformers tokens/s", "speed-up", "best torch threads"], rows)
  gathered = jax_tree(False).cache_bytes
  memory = markdown_table(
      ["tree (b) persistent KV cache", "bytes", "vs gathered"],
      [[label, n, n / gathered] for label, n in (
          ("shared prefixes, one scan per level", jax_tree(True, None).cache_bytes),
          (f"shared prefixes, segment_tokens={segment_tokens} (timed above)",
           jax_tree(True).cache_bytes),
          ("gathered full-length cache per node", gathered))])
  model_line = (f"Model: Qwen3-style, d_model {cfg.d_model}, {cfg.num_layers} layers, "
                f"{cfg.num_heads} heads / {cfg.num_kv_heads} KV heads, vocab "
                f"{cfg.vocab_size}; median of {repeats} after a warm-up "
                f"({jax.default_backend()}); the peer runs with each torch thread count "
                f"in {thread_counts} and its fastest counts (on an oversubscribed CPU, "
                f"more threads can be much slower).")
  return "\n\n".join([model_line, speed, memory])
