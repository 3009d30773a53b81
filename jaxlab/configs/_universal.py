"""The Transformer-training block shared by the universal-prediction configs:
one place for its fields, so the four experiments stay comparable and their
`tiny` variants shrink the same way."""
import ml_collections


def set_transformer_training(c: ml_collections.ConfigDict, *, d_model: int,
                             num_heads: int, num_steps: int, eval_every: int,
                             checkpoint_every: int, positional: str = "rope",
                             learning_rate: float = 2e-3, warmup_steps: int = 50,
                             weight_decay: float = 0.0, batch_size: int = 32,
                             bos: bool = False) -> None:
  """Adds ``model``, the optimiser fields and ``train`` (the loop's settings).

  ``bos``: the model reads a beginning-of-sequence token before the data.
  """
  c.model = ml_collections.ConfigDict({
      "d_model": d_model, "num_layers": 2, "num_heads": num_heads, "mlp_dim": 0,
      "positional": positional, "bos": bos})
  c.learning_rate = learning_rate
  c.warmup_steps = warmup_steps
  c.weight_decay = weight_decay
  c.train = ml_collections.ConfigDict({
      "num_steps": num_steps, "batch_size": batch_size, "num_devices": 0,
      "log_every": 50, "eval_every": eval_every, "checkpoint_every": checkpoint_every})


def shrink_to_tiny(c: ml_collections.ConfigDict, *, num_steps: int = 30,
                   warmup_steps: int = 5, eval_every: int = 0) -> None:
  """The seconds-long model and loop of every `tiny` variant."""
  c.model.d_model = 16
  c.model.num_layers = 1
  c.model.num_heads = 1
  c.warmup_steps = warmup_steps
  c.train.num_steps = num_steps
  c.train.batch_size = 16
  c.train.log_every = 10
  c.train.eval_every = eval_every
  c.train.checkpoint_every = 30
  c.train.tensorboard = False   # its import alone costs seconds
