"""Decoder LM speed: jaxlab against Hugging Face transformers (PyTorch), one run.

Training: tokens/s of jaxlab's jitted, donating train step (the loop's own
`compile_step`) against `Qwen3ForCausalLM` of the same config, batch and
optimizer (AdamW), median over repeats of several steps each.

Decoding: prefill and per-token latency of `generate_greedy` (one prefill
call, then a `lax.scan` over `decode` steps) against transformers'
`generate(do_sample=False)` on the same random weights (saved by jaxlab,
loaded by transformers). Both are timed as ``t(1 token)`` (prefill) and
``(t(1 + n) - t(1)) / n`` (per token), so each side's overheads count alike.

PyTorch gets as many threads as JAX's CPU client uses (all cores); on an
accelerator jaxlab runs there (bfloat16 compute) and its model FLOPs
utilisation is printed where the chip's peak is known.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np

from jaxlab.benchmarks.common import markdown_table, median_seconds

DESCRIPTION = "decoder LM train tokens/s and decode latency vs HF transformers (PyTorch)"

# Dense bf16 peak FLOP/s by device kind (substring match), for MFU.
PEAK_FLOPS = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L4": 121e12,
              "TPU v4": 275e12, "TPU v5 lite": 197e12, "TPU v5e": 197e12,
              "TPU v5p": 459e12, "TPU v6": 918e12}


def _config(args, dtype: str):
  from jaxlab.models.transformer import TransformerConfig
  return TransformerConfig(
      vocab_size=args.vocab, d_model=args.d_model, num_layers=args.layers,
      num_heads=args.heads, num_kv_heads=args.kv_heads, head_dim=args.d_model // args.heads,
      mlp_dim=args.mlp_dim, qk_norm=True, tie_embeddings=True, rope_theta=10_000.0,
      max_len=max(args.seq_len, args.prompt_len + args.new_tokens), dtype=dtype)


def train_flops_per_token(cfg, seq_len: int) -> float:
  """Model FLOPs per trained token (PaLM's count, causal attention halved).

  6 x the matmul parameters (forward + backward), plus attention scores and
  mixing: a forward pass costs ``2 h hd L`` per layer for the causal average
  of L/2 keys (QK^T and AV, 2 flops per multiply-add), training 3 times that.
  """
  d, h, kv, hd, f = cfg.d_model, cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, cfg.mlp_dim
  per_layer = d * (h + 2 * kv) * hd + h * hd * d + 3 * d * f
  matmul = cfg.num_layers * per_layer + d * cfg.vocab_size
  attention_forward = cfg.num_layers * 2 * h * hd * seq_len
  return 6.0 * matmul + 3.0 * attention_forward


def _per_step(run, args) -> tuple[float, float]:
  """(wall, process CPU) seconds per train step: medians over repeats of `run`.

  CPU time counts the work the process did whatever else shares the
  cores, so it stays comparable on a busy machine where wall time does not.
  """
  cpu: list[float] = []

  def timed():
    start = time.process_time()
    run()
    cpu.append(time.process_time() - start)

  wall = median_seconds(timed, repeats=args.repeats, warmup=1)
  return wall / args.steps, statistics.median(cpu[1:]) / args.steps


def _jaxlab_train(cfg, args) -> tuple[float, float]:
  """(wall, CPU) seconds per train step of jaxlab."""
  import jax
  import optax
  from jaxlab.models import transformer as tfm
  from jaxlab.objectives.lm import make_loss_fn
  from jaxlab.train import parallel
  from jaxlab.train.loop import LoopConfig, compile_step
  compiled = compile_step(
      init_params=lambda rng: tfm.init_params(cfg, rng),
      tx=optax.adamw(args.lr, weight_decay=0.1),
      config=LoopConfig(num_steps=1, batch_size=args.batch, progress=False),
      loss_fn=make_loss_fn(tfm.Transformer(cfg).apply))
  rng = np.random.default_rng(0)
  tokens = rng.integers(0, cfg.vocab_size, (args.batch, args.seq_len + 1), dtype=np.int32)
  batch = parallel.global_batch(compiled.mesh, {"tokens": tokens})
  state = compiled.state

  def run():
    nonlocal state
    for _ in range(args.steps):
      state, metrics = compiled.step(state, batch, compiled.rng)
    jax.block_until_ready(metrics["loss"])

  return _per_step(run, args)


def _torch_model(cfg, path: str | None, device: str, dtype: str):
  import torch
  import transformers
  if path is not None:
    model = transformers.AutoModelForCausalLM.from_pretrained(path)
  else:
    from jaxlab.interop.hf import config_to_hf
    hf = config_to_hf(cfg)
    model = transformers.Qwen3ForCausalLM(transformers.Qwen3Config(**{
        k: v for k, v in hf.items() if k not in ("architectures", "model_type")}))
  return model.to(device=device, dtype=getattr(torch, dtype))


def _torch_train(cfg, args, device: str, dtype: str) -> tuple[float, float]:
  """(wall, CPU) seconds per train step of transformers' Qwen3."""
  import torch
  model = _torch_model(cfg, None, device, dtype).train()
  opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.1)
  rng = np.random.default_rng(0)
  tokens = torch.tensor(rng.integers(0, cfg.vocab_size, (args.batch, args.seq_len + 1)),
                        device=device)
  inputs, targets = tokens[:, :-1], tokens[:, 1:]

  def run():
    for _ in range(args.steps):
      logits = model(input_ids=inputs).logits
      loss = torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), targets.flatten())
      opt.zero_grad(set_to_none=True)
      loss.backward()
      opt.step()
    loss.item()

  return _per_step(run, args)


def _decode_times(generate, new_tokens: int, repeats: int) -> tuple[float, float]:
  """(prefill seconds, seconds per further token) of a `generate(n)` callable."""
  one = median_seconds(lambda: generate(1), repeats=repeats)
  many = median_seconds(lambda: generate(1 + new_tokens), repeats=repeats)
  return one, max(many - one, 0.0) / new_tokens


def _decode(cfg, args, device: str, dtype: str, thread_counts: list[int]
            ) -> dict[str, tuple[float, float]]:
  """Decode times of jaxlab and of transformers at each PyTorch thread count."""
  import dataclasses

  import jax
  import jax.numpy as jnp
  import torch
  from jaxlab.interop import hf
  from jaxlab.models import transformer as tfm
  params = jax.device_get(tfm.init_params(cfg, jax.random.PRNGKey(0)))
  rng = np.random.default_rng(1)
  prompt = rng.integers(0, cfg.vocab_size, (args.decode_batch, args.prompt_len), dtype=np.int32)
  lengths = jnp.full((args.decode_batch,), args.prompt_len, jnp.int32)
  prompt_j = jnp.asarray(prompt)

  def ours(n):
    jax.block_until_ready(tfm.generate_greedy(cfg, params, prompt_j, lengths, n))

  with tempfile.TemporaryDirectory() as path:
    hf.save_checkpoint(path, dataclasses.replace(cfg, param_dtype="float32"), params)
    model = _torch_model(cfg, path, device, dtype).eval()
  prompt_t = torch.tensor(prompt, device=device, dtype=torch.long)

  def theirs(n):
    with torch.no_grad():
      model.generate(prompt_t, attention_mask=torch.ones_like(prompt_t), max_new_tokens=n,
                     min_new_tokens=n, do_sample=False, pad_token_id=0)

  times = {"jaxlab": _decode_times(ours, args.new_tokens, args.repeats)}
  for threads in thread_counts:
    torch.set_num_threads(threads)
    times[threads] = _decode_times(theirs, args.new_tokens, args.repeats)
  return times


def main(argv: list[str]) -> str:
  p = argparse.ArgumentParser(prog="jaxlab bench lm", description=__doc__)
  p.add_argument("--vocab", type=int, default=256)
  p.add_argument("--d_model", type=int, default=128)
  p.add_argument("--layers", type=int, default=4)
  p.add_argument("--heads", type=int, default=4)
  p.add_argument("--kv_heads", type=int, default=2)
  p.add_argument("--mlp_dim", type=int, default=384)
  p.add_argument("--seq_len", type=int, default=128)
  p.add_argument("--batch", type=int, default=16)
  p.add_argument("--steps", type=int, default=5, help="train steps per timed repeat")
  p.add_argument("--repeats", type=int, default=5)
  p.add_argument("--lr", type=float, default=1e-3)
  p.add_argument("--decode_batch", type=int, default=4)
  p.add_argument("--prompt_len", type=int, default=64)
  p.add_argument("--new_tokens", type=int, default=32)
  args = p.parse_args(argv)

  import jax
  import torch
  on_cpu = jax.default_backend() == "cpu"
  dtype = "float32" if on_cpu else "bfloat16"
  device = "cuda" if torch.cuda.is_available() and not on_cpu else "cpu"
  peer_dtype = dtype if device != "cpu" else "float32"
  # JAX's CPU client uses every core; PyTorch gets the same, and (on CPU) also
  # one thread, which is faster when other processes compete for the cores.
  cores = os.cpu_count() or 1
  thread_counts = [cores] if device != "cpu" or cores == 1 else [cores, 1]
  cfg = _config(args, dtype)

  tokens = args.batch * args.seq_len
  ours = _jaxlab_train(cfg, args)
  theirs = {}
  for threads in thread_counts:
    torch.set_num_threads(threads)
    theirs[threads] = _torch_train(cfg, args, device, peer_dtype)
  decode = _decode(cfg, args, device, peer_dtype, thread_counts)

  def row(metric, ours_value, peer_values, higher_is_better):
    valid = [v for v in peer_values if v > 0] or [float("nan")]   # 0: lost in timing noise
    best = max(valid) if higher_is_better else min(valid)
    ratio = (ours_value / best if higher_is_better
             else best / ours_value if ours_value > 0 else float("nan"))
    return (metric, ours_value, *peer_values, ratio)

  rows = [row("train tokens/s", tokens / ours[0],
              [tokens / theirs[t][0] for t in thread_counts], True),
          row("train tokens per CPU-second", tokens / ours[1],
              [tokens / theirs[t][1] for t in thread_counts], True),
          row(f"prefill {args.decode_batch}x{args.prompt_len} (ms)", 1e3 * decode["jaxlab"][0],
              [1e3 * decode[t][0] for t in thread_counts], False),
          row(f"decode per token, batch {args.decode_batch} (ms)", 1e3 * decode["jaxlab"][1],
              [1e3 * decode[t][1] for t in thread_counts], False)]
  table = markdown_table(
      ("metric", "jaxlab (JAX)",
       *(f"transformers ({t} thread{'s' * (t > 1)})" for t in thread_counts),
       "jaxlab speed-up vs faster peer"), rows)
  kind = jax.devices()[0].device_kind
  setting = (f"Qwen3-style decoder: vocab {cfg.vocab_size}, d_model {cfg.d_model}, "
             f"{cfg.num_layers} layers, {cfg.num_heads} heads / {cfg.num_kv_heads} kv, "
             f"mlp {cfg.mlp_dim}, batch {args.batch} x {args.seq_len} tokens, AdamW; "
             f"JAX {jax.__version__} on {jax.default_backend()} ({kind}), PyTorch "
             f"{torch.__version__} on {device}; {dtype}; median of {args.repeats} repeats; "
             f"{cores} cores.")
  peak = next((v for k, v in PEAK_FLOPS.items() if k.lower() in kind.lower()), None)
  if not on_cpu and peak is not None:
    flops = train_flops_per_token(cfg, args.seq_len) * tokens
    setting += f" jaxlab train MFU: {flops / ours[0] / peak:.1%} of {peak / 1e12:.0f} TFLOP/s."
  return f"{setting}\n\n{table}"
