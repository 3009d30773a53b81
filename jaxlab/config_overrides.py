"""Loading experiment configs and applying ``--config.key=value`` overrides,
with errors that name the bad key or value and list what is allowed."""
from __future__ import annotations

import ast
import importlib
from typing import Sequence

import ml_collections


class ConfigError(ValueError):
  """A bad config selector, key or value; the message is one line."""


def load_config(experiment: str, selector: str | None) -> ml_collections.ConfigDict:
  """``get_config(variant)`` of `experiment`; `selector` is ``NAME[:variant]``."""
  variant = None
  if selector:
    name, _, variant = selector.partition(":")
    if name != experiment:
      raise ConfigError(f"--config={selector!r} names config {name!r} but the "
                        f"experiment is {experiment!r}; use --config={experiment}:VARIANT")
  module = importlib.import_module(f"jaxlab.configs.{experiment}")
  try:
    return module.get_config(variant or None)
  except ValueError as e:
    raise ConfigError(str(e)) from None


def _parse_value(text: str):
  try:
    return ast.literal_eval(text)
  except (ValueError, SyntaxError):
    return text   # A bare word is a string.


def apply_overrides(config: ml_collections.ConfigDict, overrides: Sequence[str]
                    ) -> ml_collections.ConfigDict:
  """Applies ``key.sub=value`` strings in order; keys must already exist and
  values must match the existing type (ints are accepted for floats)."""
  for item in overrides:
    key, sep, text = item.partition("=")
    if not sep:
      raise ConfigError(f"--config.{item}: expected --config.KEY=VALUE")
    parts = key.split(".")
    node = config
    for depth, part in enumerate(parts):
      if not isinstance(node, ml_collections.ConfigDict) or part not in node:
        where = ".".join(parts[:depth]) or "config"
        allowed = sorted(node.keys()) if isinstance(node, ml_collections.ConfigDict) else []
        raise ConfigError(f"unknown config key {key!r}: {where} has no {part!r}; "
                          f"allowed: {', '.join(allowed) or '(none: not a group)'}")
      if depth < len(parts) - 1:
        node = node[part]
    leaf = parts[-1]
    old = node[leaf]
    value = _parse_value(text)
    if isinstance(old, ml_collections.ConfigDict):
      raise ConfigError(f"--config.{key} is a group; set one of its keys: "
                        f"{', '.join(sorted(old.keys()))}")
    if isinstance(old, bool) != isinstance(value, bool) and old is not None:
      raise ConfigError(f"--config.{key}={text!r}: expected {type(old).__name__}, "
                        f"got {type(value).__name__}")
    if isinstance(old, float) and isinstance(value, int) and not isinstance(value, bool):
      value = float(value)
    if isinstance(old, tuple) and isinstance(value, list):
      value = tuple(value)
    if old is not None and not isinstance(value, type(old)):
      raise ConfigError(f"--config.{key}={text!r}: expected {type(old).__name__}, "
                        f"got {type(value).__name__}")
    node[leaf] = value
  return config
