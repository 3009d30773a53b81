"""The benchmark registry: every module here (but `common` and `_private`
ones) is a benchmark named after its file, run by ``jaxlab bench NAME``.

A benchmark module defines ``DESCRIPTION`` (one line) and
``main(argv: list[str]) -> str``, which measures jaxlab against a peer in the
same run (median of repeats, ratio) and returns the printed table (Markdown).
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

_NOT_BENCHMARKS = {"common"}


def names() -> list[str]:
  return sorted(m.name for m in pkgutil.iter_modules(__path__)
                if not m.name.startswith("_") and m.name not in _NOT_BENCHMARKS)


def load(name: str) -> ModuleType:
  if name not in names():
    raise KeyError(f"unknown benchmark {name!r}; known: {', '.join(names())}")
  return importlib.import_module(f"{__name__}.{name}")
