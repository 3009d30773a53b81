"""universal_data: excess log-loss over the true source against the number
of training tokens, for a Transformer and for KT fitted on the same tokens,
on one fixed stationary source (an order-k Markov chain or a hidden-Markov source).

    jaxlab run universal_data --workdir runs/universal_data
    jaxlab run universal_data --workdir runs/universal_data_tiny --config=universal_data:tiny
"""
import ml_collections


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
  c.model = ml_collections.ConfigDict({
      "d_model": 32, "num_layers": 2, "num_heads": 2, "mlp_dim": 0,
      "positional": "rope"})
  c.learning_rate = 2e-3
  c.warmup_steps = 50
  c.weight_decay = 0.01
  c.train = ml_collections.ConfigDict({
      "num_steps": 600, "batch_size": 32, "num_devices": 0,
      "log_every": 50, "eval_every": 200, "checkpoint_every": 300})
  if arg in (None, "", "default", "cpu"):
    return c
  if arg == "tiny":
    c.alphabet = 2
    c.order = 1
    c.seq_len = 16
    c.train_tokens = (64, 512)
    c.num_test = 32
    c.seeds = (0,)
    c.kt_orders = (0, 1)
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
  raise ValueError(f"unknown universal_data config variant {arg!r}; known: default (= cpu), tiny")
