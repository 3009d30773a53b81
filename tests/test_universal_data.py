"""universal_data: the fixed source, the pool source, and (slow) the tiny run."""
import math

import numpy as np
import pytest

from jaxlab import experiments
from jaxlab.configs import universal_data as cfg_module
from jaxlab.experiments.universal_data import PoolSource, fixed_source


def test_fixed_markov_source_has_its_exact_entropy_rate():
  import jax
  config = cfg_module.get_config("tiny")
  source = fixed_source(config)
  tokens = source.sample(jax.random.PRNGKey(0), 64)
  assert tokens.shape == (64, config.seq_len)
  loss = source.true_log_loss(tokens)[:, 1:].mean()
  assert abs(loss - source.entropy_rate) < 0.05
  config.source = "zipf"
  with pytest.raises(ValueError, match="zipf"):
    fixed_source(config)


def test_pool_source_batches_depend_only_on_the_step():
  pool = np.arange(40).reshape(10, 4)
  src = PoolSource(pool, batch_size=6, seed=0)
  full = src.batch(5, slice(None))["tokens"]
  np.testing.assert_array_equal(full[2:4], src.batch(5, slice(2, 4))["tokens"])
  assert set(full[:, 0] // 4) <= set(range(10))


@pytest.mark.slow
def test_tiny_run(tmp_path):
  r = experiments.load("universal_data").run(cfg_module.get_config("tiny"), str(tmp_path))
  for n in (64, 512):
    # KT of the true order fitted on N tokens is near the rate; the memoryless one is not.
    assert abs(r[f"excess/kt1/{n}"]) < 0.05 < r[f"excess/kt0/{n}"]
    assert r[f"loss/transformer/{n}"] < math.log(2)
  assert r["entropy_rate"] == pytest.approx(r["loss/oracle/512"], abs=0.05)
  assert r["excess/kt1/512"] == pytest.approx(r["loss/kt1/512"] - r["loss/oracle/512"])
