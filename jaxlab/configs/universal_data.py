"""universal_data: excess log-loss over the true source against the number
of training tokens, for a Transformer and for KT fitted on the same tokens,
on one fixed stationary source (an order-k Markov chain or a hidden-Markov source).

    jaxlab run universal_data --workdir runs/universal_data
    jaxlab run universal_data --workdir runs/universal_data_tiny --config=universal_data:tiny
"""
import ml_collections

from jaxlab.configs._universal import set_transformer_training, shrink_to_tiny


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.source = "markov"         # "markov" (exact entropy rate) or "hmm" (estimated)
  c.order = 2                 # markov: the chain's order
  c.hidden = 4                # hmm: number of hidden states
  c.alphabet = 3
  c.alpha = 0.5               # Dirichlet parameter of the source's rows
  c.source_seed = 0           # the one fixed source all runs learn
  c.seq_len = 64
  c.train_tokens = (1024, 4096, 16384, 65536)
  c.num_test = 256
  c.seeds = (0, 1)
  c.kt_orders = (0, 1, 2, 3)
  set_transformer_training(c, d_model=32, num_heads=2, num_steps=600, eval_every=200,
                           checkpoint_every=300, weight_decay=0.01)
  if arg in (None, "", "default", "cpu"):
    return c
  if arg == "tiny":
    shrink_to_tiny(c)
    c.alphabet = 2
    c.order = 1
    c.seq_len = 16
    c.train_tokens = (64, 512)
    c.num_test = 32
    c.seeds = (0,)
    c.kt_orders = (0, 1)
    return c
  raise ValueError(f"unknown universal_data config variant {arg!r}; known: default (= cpu), tiny")
