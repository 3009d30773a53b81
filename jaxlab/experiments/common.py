"""What every experiment shares: results files, seed statistics, figures,
and resumable sub-runs."""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Iterable, Mapping

import numpy as np

RESULTS_FILE = "results.json"


def _jsonable(value: Any) -> Any:
  if isinstance(value, Mapping):
    return {str(k): _jsonable(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return [_jsonable(v) for v in value]
  if isinstance(value, (np.generic, np.ndarray)):
    return _jsonable(value.tolist())
  return value


def atomic_write_json(path: str, payload: Any) -> None:
  """Writes JSON so that a kill never leaves a half-written file behind."""
  tmp = f"{path}.tmp"
  with open(tmp, "w") as f:
    json.dump(_jsonable(payload), f, indent=1, sort_keys=True)
  os.replace(tmp, path)


def _is_writer() -> bool:
  """Only process 0 of a multi-process run writes results and figures."""
  import jax
  return jax.process_index() == 0


def write_results(workdir: str, experiment: str, results: Mapping[str, float],
                  config: Any) -> dict[str, float]:
  """Writes ``workdir/results.json``: flat headline numbers plus the config."""
  os.makedirs(workdir, exist_ok=True)
  config_dict = config.to_dict() if hasattr(config, "to_dict") else dict(config)
  flat = {str(k): _jsonable(v) for k, v in results.items()}
  if _is_writer():
      atomic_write_json(os.path.join(workdir, RESULTS_FILE),
                      {"experiment": experiment, "results": flat,
                       "config": config_dict})
  return flat


def read_results(workdir: str) -> dict[str, Any]:
  """The flat results an experiment wrote into `workdir`."""
  with open(os.path.join(workdir, RESULTS_FILE)) as f:
    return json.load(f)["results"]


def mean_std(samples: Mapping[str, Iterable[float]]) -> dict[str, float]:
  """``{key: [v_seed0, v_seed1, ...]}`` -> ``{key: mean, key_std: std}``."""
  out: dict[str, float] = {}
  for key, values in samples.items():
    arr = np.asarray(list(values), dtype=np.float64)
    out[key] = float(arr.mean())
    out[f"{key}_std"] = float(arr.std())
  return out


def cached(workdir: str, name: str, compute: Callable[[], Mapping[str, Any]]
           ) -> dict[str, Any]:
  """Runs `compute` once and stores its JSON result as ``workdir/runs/name.json``.

  Experiments made of many small runs (methods x seeds) resume at this
  granularity: a re-run skips every sub-run that finished.
  """
  path = os.path.join(workdir, "runs", f"{name}.json")
  if os.path.exists(path):
    with open(path) as f:
      return json.load(f)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  result = _jsonable(dict(compute()))
  atomic_write_json(path, result)
  return result


def save_figure(fig: Any, workdir: str, name: str) -> str:
  """Saves a matplotlib figure as ``workdir/name.png`` and closes it."""
  import matplotlib.pyplot as plt
  path = os.path.join(workdir, f"{name}.png")
  if _is_writer():
    os.makedirs(workdir, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
  plt.close(fig)
  return path


def figure_backend() -> None:
  """Selects a non-interactive matplotlib backend (no display needed)."""
  import matplotlib
  if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
    matplotlib.use("Agg")


CONFIG_FILE = "config.json"


class WorkdirConfigMismatch(ValueError):
  """The workdir holds a run made with another config."""


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
  if isinstance(tree, Mapping):
    out: dict[str, Any] = {}
    for k, v in tree.items():
      out.update(_flatten(v, f"{prefix}{k}."))
    return out
  return {prefix[:-1]: tree}


def claim_workdir(workdir: str, config: Any) -> None:
  """Records `config` in ``workdir/config.json``, or raises when the workdir
  already holds a run with a different config (its checkpoints and cached
  sub-runs would silently mix two settings)."""
  path = os.path.join(workdir, CONFIG_FILE)
  results_path = os.path.join(workdir, RESULTS_FILE)
  current = json.loads(json.dumps(_jsonable(config.to_dict())))
  stored = None
  if os.path.exists(path):
    with open(path) as f:
      stored = json.load(f)
  elif os.path.exists(results_path):     # A run made before config.json existed.
    with open(results_path) as f:
      stored = json.load(f).get("config")
  if stored is not None:
    if stored != current:
      old, new = _flatten(stored), _flatten(current)
      diff = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
      shown = ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in diff[:4])
      more = f" (+{len(diff) - 4} more)" if len(diff) > 4 else ""
      raise WorkdirConfigMismatch(
          f"{workdir} holds a run with a different config ({shown}{more}); "
          f"use another --workdir or remove that one")
  os.makedirs(workdir, exist_ok=True)
  if _is_writer():
    atomic_write_json(path, current)
