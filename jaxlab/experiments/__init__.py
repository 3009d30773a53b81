"""The experiment registry: every module here (but `common` and `_private`
ones) is an experiment named after its file.

An experiment module defines

- ``PAPER``: the paper key from DESIGN.md (``universal``, ``spectral``, ...);
- ``DESCRIPTION``: one line for ``jaxlab list``;
- ``run(config, workdir) -> dict``: trains/evaluates, writes
  ``workdir/results.json`` and PNG figures, resumes when re-run, and returns
  the flat results;
- ``summarize(results) -> str``: one paragraph for the report, saying what
  the paper claims and what this miniature showed (from the numbers).

Its settings live in ``jaxlab/configs/<name>.py`` as ``get_config(arg)``.
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

_NOT_EXPERIMENTS = {"common"}


def names() -> list[str]:
  """All registered experiment names, sorted."""
  return sorted(m.name for m in pkgutil.iter_modules(__path__)
                if not m.name.startswith("_") and m.name not in _NOT_EXPERIMENTS)


class UnknownExperimentError(KeyError):

  def __str__(self) -> str:
    return self.args[0]


def load(name: str) -> ModuleType:
  """The experiment module `name`, or an error that lists the known ones."""
  if name not in names():
    raise UnknownExperimentError(
        f"unknown experiment {name!r}; known: {', '.join(names())}")
  return importlib.import_module(f"{__name__}.{name}")
