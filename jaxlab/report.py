"""Results -> a Markdown report with figures and tables.

`reproduce` runs experiments (reusing finished ones, resuming interrupted
ones); `build_report` reads only what the runs wrote (results.json and PNG
files), so the report can be rebuilt at any time without recomputation.
"""
from __future__ import annotations

import datetime
import glob
import json
import os
import traceback
from typing import Sequence

from jaxlab import experiments
from jaxlab.experiments import common

# Paper keys in DESIGN.md's order; anything else is listed after them.
PAPER_ORDER = ("foundation", "universal", "spectral", "pirm", "fairness",
               "qformer", "deepalign", "breadth", "traceguard")
_FAILED_FILE = "FAILED.txt"


def _ordered(names: Sequence[str]) -> list[str]:
  def key(name: str):
    paper = experiments.load(name).PAPER
    rank = PAPER_ORDER.index(paper) if paper in PAPER_ORDER else len(PAPER_ORDER)
    return rank, name
  return sorted(names, key=key)


def _is_current(workdir: str, config) -> bool:
  """True when `workdir` holds results made with exactly `config`."""
  path = os.path.join(workdir, common.RESULTS_FILE)
  if not os.path.exists(path):
    return False
  with open(path) as f:
    stored = json.load(f).get("config")
  return stored == json.loads(json.dumps(common._jsonable(config.to_dict())))


def run_experiment(name: str, workdir: str, variant: str | None) -> None:
  """Runs one experiment unless its results are current; records a failure."""
  from jaxlab.config_overrides import load_config
  config = load_config(name, f"{name}:{variant}" if variant else None)
  failed = os.path.join(workdir, _FAILED_FILE)
  if _is_current(workdir, config):
    return
  try:
    common.claim_workdir(workdir, config)
  except common.WorkdirConfigMismatch as e:
    aside = f"{workdir}.stale-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    print(f"{e}; moving it to {aside} and starting afresh")
    os.rename(workdir, aside)
    common.claim_workdir(workdir, config)
  try:
    experiments.load(name).run(config, workdir)
    if os.path.exists(failed):
      os.remove(failed)
  except Exception:  # pylint: disable=broad-except  # One failure must not sink the report.
    os.makedirs(workdir, exist_ok=True)
    with open(failed, "w") as f:
      f.write(traceback.format_exc())
    print(f"experiment {name} failed; see {failed}")


def reproduce(names: Sequence[str], out: str, preset: str = "cpu") -> str:
  """Runs every experiment in `names` into ``out/<name>`` and writes the report."""
  from tqdm.auto import tqdm
  variant = None if preset == "cpu" else preset
  for name in tqdm(_ordered(names), desc="experiments", unit="exp"):
    run_experiment(name, os.path.join(out, name), variant)
  return build_report(out, names, preset)


_MAX_TABLE_ROWS = 40


def _results_table(results: dict) -> str:
  rows = []
  keys = [k for k in sorted(results) if not k.endswith("_std")]
  for key in keys[:_MAX_TABLE_ROWS]:
    value, std = results[key], results.get(f"{key}_std")
    if isinstance(value, float):
      text = f"{value:.4g}" + (f" ± {std:.2g}" if isinstance(std, float) else "")
    else:
      text = str(value)
    rows.append(f"| `{key}` | {text} |")
  if len(keys) > _MAX_TABLE_ROWS:
    rows.append(f"| … | {len(keys) - _MAX_TABLE_ROWS} more in results.json |")
  return "\n".join(["| result | value (mean ± std over seeds) |", "|---|---|", *rows])


def build_report(out: str, names: Sequence[str], preset: str = "cpu") -> str:
  """Writes ``out/report.md`` from the runs' files and returns its path."""
  import jax
  lines = [
      "# jaxlab reproduction report", "",
      f"Generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC} "
      f"with preset `{preset}` on {jax.device_count()} {jax.default_backend()} "
      f"device(s), JAX {jax.__version__}. Each section: what the paper claims "
      "and what this miniature showed, its headline numbers, its figures.", ""]
  for name in _ordered(names):
    module = experiments.load(name)
    workdir = os.path.join(out, name)
    lines += [f"## `{name}` ({module.PAPER})", "", f"_{module.DESCRIPTION}_", "",
              f"Command: `jaxlab run {name} --workdir {workdir}`", ""]
    failed = os.path.join(workdir, _FAILED_FILE)
    if os.path.exists(failed):
      with open(failed) as f:
        last = [l for l in f.read().strip().splitlines() if l.strip()][-1]
      lines += [f"**Did not complete:** `{last}` (full trace in `{failed}`).", ""]
      continue
    try:
      results = common.read_results(workdir)
    except FileNotFoundError:
      lines += ["**Not run yet.**", ""]
      continue
    lines += [module.summarize(results), "", _results_table(results), ""]
    for png in sorted(glob.glob(os.path.join(workdir, "*.png"))):
      rel = os.path.relpath(png, out)
      lines += [f"![{os.path.basename(png)}]({rel})", ""]
  path = os.path.join(out, "report.md")
  os.makedirs(out, exist_ok=True)
  with open(path, "w") as f:
    f.write("\n".join(lines))
  return path
