"""universal_text: a byte-level Transformer on real text (the pydoc corpus
CPython ships) against KT fitted on the same bytes and the gzip/bz2/lzma rates.

    jaxlab run universal_text --workdir runs/universal_text
    jaxlab run universal_text --workdir runs/universal_text_tiny --config=universal_text:tiny
"""
import ml_collections

from jaxlab.configs._universal import set_transformer_training, shrink_to_tiny


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.corpus = "pydoc"
  c.test_fraction = 0.1
  c.seq_len = 64
  c.num_eval = 128            # evenly spaced test windows
  c.seeds = (0, 1)
  c.kt_orders = (0, 1, 2)     # order 3 would need 256^4 counts
  c.compressors = ("gzip", "bz2", "lzma")
  set_transformer_training(c, d_model=64, num_heads=4, num_steps=600, eval_every=150,
                           checkpoint_every=300, weight_decay=0.01)
  if arg in (None, "", "default", "cpu"):
    return c
  if arg == "tiny":
    shrink_to_tiny(c)
    c.seq_len = 16
    c.num_eval = 16
    c.seeds = (0,)
    c.kt_orders = (0, 1)
    c.compressors = ("gzip",)
    return c
  raise ValueError(f"unknown universal_text config variant {arg!r}; known: default (= cpu), tiny")
