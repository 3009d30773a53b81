"""universal_ablation: which Transformer component closes the gap to the
Bayes predictor on in-context order-1 Markov chains (depth, heads, width,
positional code, a beginning-of-sequence token, context length).

    jaxlab run universal_ablation --workdir runs/universal_ablation
    jaxlab run universal_ablation --workdir runs/universal_ablation_tiny --config=universal_ablation:tiny
"""
import ml_collections

from jaxlab.configs._universal import set_transformer_training, shrink_to_tiny


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.order = 1
  c.alphabet = 2
  c.alpha = 0.5
  c.seq_len = 64
  c.num_test = 256
  c.seeds = (0, 1)
  c.kt_orders = (1,)          # the Bayes predictor (add-alpha of the true order)
  c.ctw_depths = ()
  set_transformer_training(c, d_model=32, num_heads=1, num_steps=400, eval_every=100,
                           checkpoint_every=200)
  # name -> changes to the base (model fields, or seq_len for the context).
  c.variants = ml_collections.ConfigDict({
      "base": {},
      "1_layer": {"num_layers": 1},
      "2_heads": {"num_heads": 2},
      "width_16": {"d_model": 16},
      "learned_pos": {"positional": "learned"},
      "no_pos": {"positional": "none"},
      "bos": {"bos": True},
      "context_32": {"seq_len": 32},
  })
  if arg in (None, "", "default", "cpu"):
    return c
  if arg == "tiny":
    shrink_to_tiny(c)
    c.seq_len = 16
    c.num_test = 32
    c.seeds = (0,)
    c.variants = ml_collections.ConfigDict({
        "base": {}, "no_pos": {"positional": "none"}})
    return c
  raise ValueError(f"unknown universal_ablation config variant {arg!r}; known: default (= cpu), tiny")
