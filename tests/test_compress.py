"""Compressor rates: redundant data compresses, random bytes do not."""
import os

import pytest

from jaxlab.universal.compress import COMPRESSORS, bits_per_byte


@pytest.mark.parametrize("name", sorted(COMPRESSORS))
def test_rates(name):
  assert bits_per_byte(b"abc" * 2000, name) < 0.5
  assert bits_per_byte(os.urandom(4000), name) > 7.9


def test_unknown_compressor_raises():
  with pytest.raises(ValueError, match="zstd"):
    bits_per_byte(b"x", "zstd")
