"""Train steps/s of the digits CNN through the shared loop on 1 and 4 devices.

Each device count runs in a fresh subprocess (fake CPU devices must be set
before JAX starts) and times the loop's own jitted, sharded, donating step
(`compile_step`) on pre-sharded batches after a warm-up; the table shows the
median over repeats and the ratio to 1 device. Fake CPU devices share the
same cores, so this measures sharding overhead, not a speed-up.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from jaxlab.benchmarks.common import markdown_table

DESCRIPTION = "digits CNN train steps/s through the shared loop at 1 and 4 devices"


def _measure(num_steps: int, repeats: int, batch_size: int) -> list[float]:
  """Seconds per step, one value per repeat (runs in the subprocess)."""
  import jax
  from jaxlab.configs import digits as digits_config
  from jaxlab.experiments import digits
  from jaxlab.train.loop import compile_step
  cfg = digits_config.get_config()
  cfg.train.batch_size = batch_size
  task = digits.build_task(cfg, seed=0, progress=False)
  compiled = compile_step(init_params=task.init_params, tx=task.tx,
                          config=task.loop, loss_fn=task.loss_fn)
  batches = [compiled.global_batch(task.data, s, batch_size) for s in range(8)]
  state = compiled.state

  def run_steps(n: int):
    # Like the loop: the previous step's metrics are read while the next
    # runs, so at most two steps are in flight (more can starve the CPU
    # collectives of fake devices of threads).
    nonlocal state
    previous = None
    for i in range(n):
      state, metrics = compiled.step(state, batches[i % len(batches)], compiled.rng)
      if previous is not None:
        jax.device_get(previous)
      previous = metrics
    jax.device_get(previous)

  run_steps(3)  # compile and warm up
  per_step = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    run_steps(num_steps)
    per_step.append((time.perf_counter() - t0) / num_steps)
  return per_step


def main(argv: list[str]) -> str:
  p = argparse.ArgumentParser(prog="jaxlab bench digits", description=__doc__)
  p.add_argument("--steps", type=int, default=200)
  p.add_argument("--repeats", type=int, default=5)
  p.add_argument("--batch_size", type=int, default=256)
  p.add_argument("--devices", default="1,4", help="comma-separated device counts")
  p.add_argument("--measure_only", action="store_true", help=argparse.SUPPRESS)
  args = p.parse_args(argv)
  if args.measure_only:
    return json.dumps(_measure(args.steps, args.repeats, args.batch_size))
  rows, base = [], None
  for n in [int(d) for d in args.devices.split(",")]:
    env = dict(os.environ, JAX_PLATFORMS="cpu", JAX_NUM_CPU_DEVICES=str(n),
               TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run(
        [sys.executable, "-m", "jaxlab.cli", "bench", "digits", "--measure_only",
         f"--steps={args.steps}", f"--repeats={args.repeats}",
         f"--batch_size={args.batch_size}"],
        env=env, check=True, capture_output=True, text=True).stdout
    seconds = statistics.median(json.loads(out.strip().splitlines()[-1]))
    rate = 1.0 / seconds
    base = base or rate
    rows.append((n, args.batch_size, rate, rate * args.batch_size, rate / base))
  return markdown_table(
      ("devices", "global batch", "steps/s (median)", "examples/s", "vs 1 device"), rows)
