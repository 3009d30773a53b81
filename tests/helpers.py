"""Shared test utilities: running jaxlab in real subprocesses."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def jaxlab_env(num_devices: int = 1, **extra: str) -> dict[str, str]:
  """Environment for a jaxlab subprocess with `num_devices` fake CPU devices."""
  env = dict(os.environ)
  env.update(JAX_PLATFORMS="cpu", JAX_NUM_CPU_DEVICES=str(num_devices),
             TF_CPP_MIN_LOG_LEVEL="3",
             JAX_COMPILATION_CACHE_DIR=os.path.expanduser(
                 "~/.cache/jaxlab/jax-compilation-cache"))
  env.update(extra)
  return env


def jaxlab_cmd(*args: str) -> list[str]:
  return [sys.executable, "-m", "jaxlab.cli", *args]


def run_jaxlab(*args: str, num_devices: int = 1, timeout: float = 300,
               **extra_env: str) -> subprocess.CompletedProcess:
  return subprocess.run(jaxlab_cmd(*args), env=jaxlab_env(num_devices, **extra_env),
                        cwd=REPO, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]
