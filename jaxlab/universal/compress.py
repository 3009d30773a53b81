"""Off-the-shelf compressors as universal-coding references for bytes.

gzip (LZ77 + Huffman), bz2 (Burrows-Wheeler) and lzma (LZ77 + range coding)
are practical universal codes; their output size in bits per input byte
upper-bounds the entropy rate of the text, next to the sequential
predictors' log-loss (which is an ideal code length). Standard library only.
"""
from __future__ import annotations

import bz2
import gzip
import lzma
from typing import Callable

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda b: gzip.compress(b, compresslevel=9, mtime=0),
    "bz2": lambda b: bz2.compress(b, compresslevel=9),
    "lzma": lambda b: lzma.compress(b, preset=9 | lzma.PRESET_EXTREME),
}


def bits_per_byte(data: bytes, compressor: str) -> float:
  """Compressed size of `data` in bits per input byte."""
  if compressor not in COMPRESSORS:
    raise ValueError(f"unknown compressor {compressor!r}; known: "
                     f"{', '.join(COMPRESSORS)}")
  if not data:
    raise ValueError("cannot compress empty data")
  return 8.0 * len(COMPRESSORS[compressor](data)) / len(data)
