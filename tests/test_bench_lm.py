"""The lm benchmark's FLOP count (its timings are not tested)."""
import jax

from jaxlab.benchmarks import lm
from jaxlab.models import transformer as tfm


def test_train_flops_are_six_per_matmul_parameter_plus_causal_attention():
  cfg = tfm.TransformerConfig(vocab_size=256, d_model=64, num_layers=3, num_heads=4,
                              num_kv_heads=2, mlp_dim=96, qk_norm=True)
  shapes = jax.eval_shape(lambda r: tfm.init_params(cfg, r), jax.random.PRNGKey(0))
  norms = cfg.num_layers * (2 * cfg.d_model + 2 * cfg.head_dim) + cfg.d_model
  matmul_params = tfm.num_params(shapes) - norms   # tied: the embedding is the head
  seq_len = 128
  attention = 6 * cfg.num_layers * cfg.num_heads * cfg.head_dim * seq_len
  assert lm.train_flops_per_token(cfg, seq_len) == 6 * matmul_params + attention
