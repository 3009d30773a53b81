"""breadth_depth: parallel sampling vs tree refinement at matched token budgets,
for a spread ("base") and a collapsed ("aligned") diversity profile.

    jaxlab run breadth_depth --workdir runs/breadth_depth
    jaxlab run breadth_depth --workdir runs/breadth_depth_tiny --config=breadth_depth:tiny
"""
import ml_collections


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.modulus = 16
  c.reliable_error = 0.1        # per-step slip rate of approach z on family z
  c.unreliable_error = 0.3      # ... and on the other families
  c.verify_fraction = 0.25      # share of verification (self-reward) examples
  c.num_train = 60000
  c.model = ml_collections.ConfigDict({
      "d_model": 64, "num_layers": 2, "num_heads": 4, "mlp_dim": 256})
  c.learning_rate = 3e-3
  c.warmup_steps = 100
  c.weight_decay = 0.0
  c.train = ml_collections.ConfigDict({
      "num_steps": 2000, "batch_size": 128, "num_devices": 0,
      "log_every": 50, "checkpoint_every": 500})
  c.align_steps = 400           # fine-tuning of the aligned model on z = f traces
  c.align_learning_rate = 1e-3
  c.num_problems = 96           # held-out problems per evaluation
  c.profile_samples = 32        # samples per problem for the diversity profile
  c.temperature = 1.0
  c.budgets = (2, 4, 8, 16)     # token budgets, in full traces per problem
  c.tree_settings = ((2, 1), (4, 1), (8, 2))    # (prefixes m, kept j)
  c.tree_signals = ("ent+sr", "logprob")
  c.sample_seeds = (0, 1)
  c.seed = 0
  if arg in (None, "", "default"):
    return c
  if arg == "tiny":
    c.num_train = 4000
    c.model.d_model = 32
    c.model.num_layers = 1
    c.model.num_heads = 2
    c.model.mlp_dim = 64
    c.warmup_steps = 10
    c.train.num_steps = 80
    c.train.batch_size = 64
    c.train.log_every = 20
    c.train.checkpoint_every = 40
    c.align_steps = 20
    c.num_problems = 12
    c.profile_samples = 8
    c.budgets = (2, 4)
    c.tree_settings = ((2, 1),)
    c.tree_signals = ("ent+sr",)
    c.sample_seeds = (0,)
    return c
  raise ValueError(f"unknown breadth_depth config variant {arg!r}; known: default, tiny")
