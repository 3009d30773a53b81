"""universal_markov: a Transformer against KT, CTW and the true source on
in-context order-k Markov chains (each sequence from a fresh Dirichlet chain).

    jaxlab run universal_markov --workdir runs/universal_markov
    jaxlab run universal_markov --workdir runs/universal_markov_tiny --config=universal_markov:tiny
"""
import ml_collections


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.order = 1                 # Markov order k of the in-context chains
  c.alphabet = 2
  c.alpha = 0.5               # Dirichlet prior of each row (KT is Bayes for 1/2)
  c.seq_len = 100
  c.num_test = 512            # held-out sequences per seed
  c.seeds = (0, 1, 2)
  c.kt_orders = (0, 1, 2)
  c.ctw_depths = (1, 3)
  # Learned positions: in universal_ablation they closed the gap to Bayes
  # fastest among the positional codes (RoPE 3-seed run: see the README).
  c.model = ml_collections.ConfigDict({
      "d_model": 32, "num_layers": 2, "num_heads": 1, "mlp_dim": 0,
      "positional": "learned"})
  c.learning_rate = 1e-3
  c.warmup_steps = 100
  c.weight_decay = 0.0
  c.train = ml_collections.ConfigDict({
      "num_steps": 3000, "batch_size": 64, "num_devices": 0,
      "log_every": 50, "eval_every": 250, "checkpoint_every": 500})
  if arg in (None, "", "default", "cpu"):
    return c
  if arg == "tiny":
    c.seq_len = 24
    c.num_test = 64
    c.seeds = (0, 1)
    c.ctw_depths = (1,)
    c.model.d_model = 16
    c.model.num_layers = 1
    c.warmup_steps = 10
    c.learning_rate = 3e-3
    c.train.num_steps = 60
    c.train.batch_size = 16
    c.train.log_every = 10
    c.train.eval_every = 30
    c.train.checkpoint_every = 30
    c.train.tensorboard = False   # its import alone costs seconds
    return c
  raise ValueError(f"unknown universal_markov config variant {arg!r}; known: default (= cpu), tiny")
