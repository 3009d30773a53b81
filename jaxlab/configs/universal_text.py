"""universal_text: a byte-level Transformer on real text (the pydoc corpus
CPython ships) against KT fitted on the same bytes and the gzip/bz2/lzma rates.

    jaxlab run universal_text --workdir runs/universal_text
    jaxlab run universal_text --workdir runs/universal_text_tiny --config=universal_text:tiny
"""
import ml_collections


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.corpus = "pydoc"
  c.test_fraction = 0.1
  c.seq_len = 64
  c.num_eval = 128            # evenly spaced test windows
  c.seeds = (0, 1)
  c.kt_orders = (0, 1, 2)     # order 3 would need 256^4 counts
  c.compressors = ("gzip", "bz2", "lzma")
  c.model = ml_collections.ConfigDict({
      "d_model": 64, "num_layers": 2, "num_heads": 4, "mlp_dim": 0,
      "positional": "rope"})
  c.learning_rate = 2e-3
  c.warmup_steps = 50
  c.weight_decay = 0.01
  c.train = ml_collections.ConfigDict({
      "num_steps": 600, "batch_size": 32, "num_devices": 0,
      "log_every": 50, "eval_every": 150, "checkpoint_every": 300})
  if arg in (None, "", "default", "cpu"):
    return c
  if arg == "tiny":
    c.seq_len = 16
    c.num_eval = 16
    c.seeds = (0,)
    c.kt_orders = (0, 1)
    c.compressors = ("gzip",)
    c.model.d_model = 16
    c.model.num_layers = 1
    c.model.num_heads = 1
    c.warmup_steps = 5
    c.train.num_steps = 30
    c.train.batch_size = 16
    c.train.log_every = 10
    c.train.eval_every = 0
    c.train.checkpoint_every = 30
    c.train.tensorboard = False   # its import alone costs seconds
    return c
  raise ValueError(f"unknown universal_text config variant {arg!r}; known: default (= cpu), tiny")
