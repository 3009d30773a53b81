"""The `jaxlab` command line: parses, then calls library functions.

    jaxlab list
    jaxlab run EXPERIMENT --workdir DIR [--config=EXPERIMENT:VARIANT] [--config.KEY=VALUE ...]
    jaxlab reproduce [--preset cpu|tiny] [--out DIR] [--only NAME,...]
    jaxlab bench NAME [ARGS ...]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from typing import Sequence

_EPILOG = textwrap.dedent("""\
    examples:
      jaxlab list                                   # experiments and benchmarks
      jaxlab run digits --workdir runs/digits       # the default miniature
      jaxlab run digits --workdir runs/t --config=digits:tiny --config.train.num_steps=50
      jaxlab reproduce                              # every miniature + runs/report.md
      jaxlab bench digits                           # timing table against a peer

    Re-running `jaxlab run` with the same --workdir resumes from the last good
    checkpoint (a workdir made with another config is refused, not mixed). Multi-host: set JAXLAB_COORDINATOR=host:port,
    JAXLAB_NUM_PROCESSES and JAXLAB_PROCESS_ID on every process (see
    scripts/launch_multihost.sh). JAX_NUM_CPU_DEVICES=N fakes N CPU devices.
    """)


class CliError(Exception):
  """A user mistake: printed as one line, exit code 2."""


def _parser() -> argparse.ArgumentParser:
  p = argparse.ArgumentParser(
      prog="jaxlab", epilog=_EPILOG,
      formatter_class=argparse.RawDescriptionHelpFormatter,
      description="Run jaxlab's paper experiments, their report and benchmarks.")
  sub = p.add_subparsers(dest="command", metavar="COMMAND")
  sub.add_parser("list", help="name every experiment and benchmark with one line each")
  run = sub.add_parser(
      "run", help="run one experiment (resumes if WORKDIR holds a run)",
      description="Run one experiment into WORKDIR: results.json, PNG figures, "
      "metrics.jsonl, TensorBoard events and checkpoints. Settings come from "
      "jaxlab/configs/EXPERIMENT.py; --config=EXPERIMENT:tiny picks the variant "
      "that runs in seconds, --config.KEY=VALUE overrides one setting.")
  run.add_argument("experiment", help="experiment name (see `jaxlab list`)")
  run.add_argument("--workdir", required=True, help="output and checkpoint directory")
  rep = sub.add_parser(
      "reproduce", help="run every experiment's miniature and write the report",
      description="Run every registered experiment (finished ones are reused, "
      "interrupted ones resume) and write OUT/report.md with figures and tables.")
  rep.add_argument("--preset", choices=("cpu", "tiny"), default="cpu",
                   help="cpu: the miniatures the report is about (default); "
                   "tiny: seconds-long variants, a smoke test")
  rep.add_argument("--out", default=None,
                   help="output directory (default: runs for cpu, runs_tiny for tiny)")
  rep.add_argument("--only", default="", help="comma-separated experiment names")
  bench = sub.add_parser("bench", help="run a benchmark and print its table",
                         description="Run a registered benchmark (see `jaxlab list`).")
  bench.add_argument("name", help="benchmark name")
  bench.add_argument("args", nargs=argparse.REMAINDER, help="passed to the benchmark")
  return p


def _split_config_args(argv: Sequence[str]) -> tuple[list[str], str | None, list[str]]:
  """Separates ``--config=SEL`` and ``--config.KEY=VALUE`` from the rest."""
  rest, selector, overrides = [], None, []
  for arg in argv:
    if arg.startswith("--config."):
      overrides.append(arg[len("--config."):])
    elif arg.startswith("--config="):
      selector = arg[len("--config="):]
    else:
      rest.append(arg)
  return rest, selector, overrides


def cmd_list() -> None:
  from jaxlab import benchmarks, experiments
  print("experiments (jaxlab run NAME --workdir DIR):")
  for name in experiments.names():
    mod = experiments.load(name)
    print(f"  {name:<20} [{mod.PAPER}] {mod.DESCRIPTION}")
  print("benchmarks (jaxlab bench NAME):")
  for name in benchmarks.names():
    print(f"  {name:<20} {benchmarks.load(name).DESCRIPTION}")


def _load_experiment(name: str):
  from jaxlab import experiments
  if name not in experiments.names():
    raise CliError(f"unknown experiment {name!r}; known: {', '.join(experiments.names())}")
  return experiments.load(name)


def cmd_run(name: str, workdir: str, selector: str | None, overrides: list[str]) -> None:
  from jaxlab.config_overrides import ConfigError, apply_overrides, load_config
  module = _load_experiment(name)
  try:
    config = apply_overrides(load_config(name, selector), overrides)
  except ConfigError as e:
    raise CliError(str(e)) from None
  from jaxlab.experiments.common import claim_workdir
  from jaxlab.train import parallel
  parallel.initialize_distributed()   # before anything touches a JAX backend
  try:
    claim_workdir(workdir, config)
  except ValueError as e:
    raise CliError(str(e)) from None
  try:
    results = module.run(config, workdir)
  except ValueError as e:   # A bad setting caught by the experiment itself.
    if os.environ.get("JAXLAB_TRACEBACK"):
      raise
    raise CliError(f"{e} (set JAXLAB_TRACEBACK=1 for the full trace)") from None
  print(json.dumps(results, indent=1, sort_keys=True))
  print(f"wrote {os.path.join(workdir, 'results.json')}")


def cmd_reproduce(preset: str, out: str | None, only: str) -> None:
  from jaxlab import experiments, report
  names = experiments.names()
  if only:
    chosen = [n.strip() for n in only.split(",") if n.strip()]
    for n in chosen:
      _load_experiment(n)
    names = chosen
  out = out or ("runs" if preset == "cpu" else "runs_tiny")
  path = report.reproduce(names, out, preset)
  print(f"wrote {path}")


def cmd_bench(name: str, args: list[str]) -> None:
  from jaxlab import benchmarks
  if name not in benchmarks.names():
    raise CliError(f"unknown benchmark {name!r}; known: {', '.join(benchmarks.names())}")
  print(benchmarks.load(name).main(list(args)))


def main(argv: Sequence[str] | None = None) -> int:
  argv = list(sys.argv[1:] if argv is None else argv)
  parser = _parser()
  if argv and argv[0] == "bench":      # Benchmark flags pass through untouched.
    args = parser.parse_args(argv)
    selector, overrides = None, []
  else:
    rest, selector, overrides = _split_config_args(argv)
    args = parser.parse_args(rest)
  try:
    if (selector or overrides) and args.command != "run":
      raise CliError("--config options apply to `jaxlab run` only")
    if args.command == "list":
      cmd_list()
    elif args.command == "run":
      cmd_run(args.experiment, args.workdir, selector, overrides)
    elif args.command == "reproduce":
      cmd_reproduce(args.preset, args.out, args.only)
    elif args.command == "bench":
      cmd_bench(args.name, args.args)
    else:
      parser.print_help()
      return 2
  except CliError as e:
    print(f"jaxlab: error: {e}", file=sys.stderr)
    return 2
  return 0


if __name__ == "__main__":
  sys.exit(main())
