"""The shared loop: sharding invariance, NaN guard, checkpoint fallback,
SIGKILL resume and multi-process runs, all on the real digits experiment."""
from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp
import pytest

from helpers import free_port, jaxlab_cmd, jaxlab_env, REPO, run_jaxlab
from jaxlab.configs import digits as digits_config
from jaxlab.data.sources import ArraySource
from jaxlab.experiments import digits
from jaxlab.train.loop import LoopConfig, NonFiniteLossError, params_to_numpy, train

TINY = ("--config=digits:tiny",)


def _tiny(num_devices: int, **train_overrides):
  cfg = digits_config.get_config("tiny")
  cfg.train.num_devices = num_devices
  cfg.train.update(train_overrides)
  return cfg


def _final_loss(workdir: str) -> float:
  rows = [json.loads(l) for l in open(os.path.join(workdir, "metrics.jsonl"))]
  return [r["loss"] for r in rows if "loss" in r][-1]


def _checkpoint_params(workdir: str, step: int):
  path = os.path.abspath(os.path.join(workdir, "checkpoints", str(step), "state"))
  return ocp.StandardCheckpointer().restore(path)["params"]


@pytest.fixture(scope="module")
def one_device_run(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("one_device"))
  return digits.train_one_seed(_tiny(1), workdir, seed=0, progress=False)


def test_one_and_four_devices_agree(one_device_run, tmp_path):
  four = digits.train_one_seed(_tiny(4), str(tmp_path), seed=0, progress=False)
  assert four.state.params["Dense_0"]["kernel"].sharding.mesh.size == 4
  loss_1 = [r["loss"] for r in one_device_run.history if "loss" in r][-1]
  loss_4 = [r["loss"] for r in four.history if "loss" in r][-1]
  assert abs(loss_1 - loss_4) < 1e-5
  assert one_device_run.final_eval["eval/test_acc"] > 0.85
  assert abs(one_device_run.final_eval["eval/test_acc"]
             - four.final_eval["eval/test_acc"]) < 1e-3


def _linear_problem():
  w_true = np.array([1.0, -2.0, 0.5], np.float32)

  class Data:
    def batch(self, step, rows):
      x = np.random.default_rng(step).normal(size=(8, 3)).astype(np.float32)
      return {"x": x[rows], "y": (x @ w_true)[rows]}

  init = lambda rng: {"w": jax.random.normal(rng, (3,))}
  loss = lambda p, b, rng: (jnp.mean((b["x"] @ p["w"] - b["y"]) ** 2), {})
  return Data(), init, loss


def test_nan_loss_stops_and_names_the_step(tmp_path):
  data, init, _ = _linear_problem()

  def loss_nan_after_six_updates(params, batch, rng):
    err = jnp.mean((batch["x"] @ params["w"] - batch["y"]) ** 2)
    return err, {}

  def step_fn(state, batch, rng):
    loss, grads = jax.value_and_grad(lambda p: loss_nan_after_six_updates(p, batch, rng)[0])(state.params)
    loss = jnp.where(state.step >= 6, jnp.nan, loss)
    return state.apply_gradients(grads), {"loss": loss}

  cfg = LoopConfig(num_steps=20, batch_size=8, checkpoint_every=5, progress=False)
  with pytest.raises(NonFiniteLossError, match="at step 7"):
    train(str(tmp_path), init_params=init, tx=optax.sgd(0.1), data=data,
          config=cfg, train_step=step_fn)
  # Checkpoints are only written after their metrics passed the check.
  assert sorted(int(os.path.basename(p)) for p in
                glob.glob(str(tmp_path / "checkpoints" / "*"))) == [5]


def test_unreadable_latest_checkpoint_falls_back(tmp_path, capsys):
  data, init, loss = _linear_problem()
  kw = dict(init_params=init, tx=optax.adam(0.05), data=data, loss_fn=loss)
  cfg = lambda n: LoopConfig(num_steps=n, batch_size=8, checkpoint_every=10, progress=False)
  clean = train(str(tmp_path / "clean"), config=cfg(40), **kw)

  broken = str(tmp_path / "broken")
  train(broken, config=cfg(30), **kw)
  for f in glob.glob(os.path.join(broken, "checkpoints", "30", "state", "**", "d", "*"),
                     recursive=True):
    with open(f, "r+b") as fh:
      fh.truncate(3)
  resumed = train(broken, config=cfg(40), **kw)
  assert resumed.resumed_from == 20
  assert "checkpoint at step 30 is unreadable" in capsys.readouterr().out
  np.testing.assert_array_equal(params_to_numpy(resumed.state.params)["w"],
                                params_to_numpy(clean.state.params)["w"])


def test_sigkill_then_rerun_is_bitwise_identical(tmp_path):
  args = ("run", "digits", *TINY, "--config.train.num_steps=400",
          "--config.train.checkpoint_every=20", "--config.train.eval_every=0")
  killed, reference = str(tmp_path / "killed"), str(tmp_path / "reference")
  proc = subprocess.Popen(jaxlab_cmd(*args, "--workdir", killed), cwd=REPO,
                          env=jaxlab_env(2), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
  metrics = os.path.join(killed, "seed_0", "metrics.jsonl")
  deadline = time.time() + 240
  while time.time() < deadline and proc.poll() is None:
    if os.path.exists(metrics) and sum(1 for _ in open(metrics)) >= 8:
      break   # past step 70: at least three checkpoints exist
    time.sleep(0.01)
  proc.send_signal(signal.SIGKILL)
  assert proc.wait() == -signal.SIGKILL, "the run finished before it could be killed"
  assert not os.path.exists(os.path.join(killed, "seed_0", "checkpoints", "400"))

  resumed = run_jaxlab(*args, "--workdir", killed, num_devices=2)
  assert resumed.returncode == 0, resumed.stderr[-2000:]
  full = run_jaxlab(*args, "--workdir", reference, num_devices=2)
  assert full.returncode == 0, full.stderr[-2000:]
  a = _checkpoint_params(os.path.join(killed, "seed_0"), 400)
  b = _checkpoint_params(os.path.join(reference, "seed_0"), 400)
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(x, y)


def test_two_processes_match_one(one_device_run, tmp_path):
  port = free_port()
  workdir = str(tmp_path / "multihost")
  procs = [
      subprocess.Popen(
          jaxlab_cmd("run", "digits", *TINY, "--workdir", workdir),
          cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
          env=jaxlab_env(2, JAXLAB_COORDINATOR=f"127.0.0.1:{port}",
                         JAXLAB_NUM_PROCESSES="2", JAXLAB_PROCESS_ID=str(i)))
      for i in range(2)]
  outputs = [p.communicate(timeout=300)[0] for p in procs]
  for p, out in zip(procs, outputs):
    assert p.returncode == 0, out[-3000:]
  loss_1 = [r["loss"] for r in one_device_run.history if "loss" in r][-1]
  assert abs(_final_loss(os.path.join(workdir, "seed_0")) - loss_1) < 1e-5
  results = json.load(open(os.path.join(workdir, "results.json")))["results"]
  assert abs(results["test_acc"] - one_device_run.final_eval["eval/test_acc"]) < 1e-3
