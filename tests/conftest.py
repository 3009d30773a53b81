"""Test-wide JAX set-up: 4 fake CPU devices (so sharding is exercised for real)
and a persistent compilation cache (CPU compile time dominates small tests).

Both must happen before the first JAX operation, hence here.
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import jax  # noqa: E402

NUM_TEST_DEVICES = 4
jax.config.update("jax_num_cpu_devices", NUM_TEST_DEVICES)
jax.config.update("jax_compilation_cache_dir",
                  os.path.expanduser("~/.cache/jaxlab/jax-compilation-cache"))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
