"""lm: a byte-level decoder LM trained on CPython's bundled help text.

    jaxlab run lm --workdir runs/lm
    jaxlab run lm --workdir runs/lm_tiny --config=lm:tiny
"""
import ml_collections


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.corpus = "pydoc"
  c.test_fraction = 0.1
  c.num_seeds = 1
  c.seq_len = 128
  # A Qwen3-style decoder (GQA, q/k norm, RoPE, tied embeddings) over bytes.
  c.model = ml_collections.ConfigDict({
      "d_model": 128, "num_layers": 4, "num_heads": 4, "num_kv_heads": 2,
      "mlp_dim": 384, "positional": "rope", "qk_norm": True, "tie_embeddings": True,
  })
  c.learning_rate = 3e-3
  c.warmup_steps = 50
  c.weight_decay = 0.1
  c.grad_clip = 1.0
  c.eval_windows = 64
  c.sample_prompts = ('The "while" statement', "Dictionaries are", "The result is")
  c.sample_tokens = 96
  c.train = ml_collections.ConfigDict({
      "num_steps": 600, "batch_size": 16, "num_devices": 0,
      "log_every": 10, "eval_every": 50, "checkpoint_every": 100,
  })
  if arg in (None, "", "default", "cpu"):
    return c
  if arg == "tiny":
    c.seq_len = 32
    c.model.update(d_model=32, num_layers=1, num_heads=2, num_kv_heads=1, mlp_dim=64)
    c.warmup_steps = 5
    c.eval_windows = 16
    c.sample_prompts = ("The ",)
    c.sample_tokens = 12
    c.train.update(num_steps=40, batch_size=8, eval_every=20, checkpoint_every=20)
    return c
  raise ValueError(f"unknown lm config variant {arg!r}; known: default, tiny")
