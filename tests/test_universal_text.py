"""universal_text: conditional compressor rates, and (slow) the tiny run."""
import pytest

from jaxlab import experiments
from jaxlab.configs import universal_text as cfg_module
from jaxlab.experiments.universal_text import conditional_bits_per_byte
from jaxlab.universal.compress import bits_per_byte


def test_conditional_rate_uses_the_training_bytes():
  train = bytes(range(256)) * 8
  test = bytes(range(256))
  # The test bytes repeat the training bytes: cheap given them, costly alone.
  assert conditional_bits_per_byte(train, test, "lzma") < 1.0
  assert bits_per_byte(test, "lzma") > 4.0


@pytest.mark.slow
def test_tiny_run(tmp_path):
  r = experiments.load("universal_text").run(cfg_module.get_config("tiny"), str(tmp_path))
  assert r["bits_per_byte/kt1"] < r["bits_per_byte/kt0"] < 8.0
  assert r["bits_per_byte/gzip"] < r["bits_per_byte/kt1"]
  assert r["bits_per_byte/transformer"] < 8.0   # below the uniform code
