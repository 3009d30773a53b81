"""The neural-tangents shim: it imports on this JAX, and what it exposes computes."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlab.ntk import analytic, nt_compat


def test_stax_analytic_kernel_matches_arccos_closed_form():
  stax = nt_compat.stax
  _, _, kernel_fn = stax.serial(stax.Dense(8, W_std=2**0.5), stax.Relu(), stax.Dense(1))
  with jax.enable_x64(True):
    z = jax.random.normal(jax.random.PRNGKey(0), (5, 3), jnp.float64)
    z = z / jnp.linalg.norm(z, axis=1, keepdims=True)
    ntk = kernel_fn(z * 3**0.5, None, "ntk")
    u = z @ z.T
    expected = analytic.arccos_kernel(1, u) + u * analytic.arccos_kernel(0, u)
    off = ~np.eye(5, dtype=bool)
    np.testing.assert_allclose(np.asarray(ntk)[off], np.asarray(expected)[off], atol=1e-12)


def test_empirical_implementations_agree_and_third_is_refused():
  stax = nt_compat.stax
  init_fn, apply_fn, _ = stax.serial(stax.Dense(16), stax.Relu(), stax.Dense(1))
  x = jax.random.normal(jax.random.PRNGKey(1), (4, 3))
  _, params = init_fn(jax.random.PRNGKey(2), x.shape)
  ntk1 = nt_compat.empirical_ntk_fn(apply_fn, implementation=1)(x, None, params)
  ntk2 = nt_compat.empirical_ntk_fn(apply_fn, implementation=2)(x, None, params)
  assert ntk1.shape == (4, 4)
  np.testing.assert_allclose(ntk1, ntk2, rtol=1e-5)
  with pytest.raises(ValueError, match="implementation 3"):
    nt_compat.empirical_ntk_fn(apply_fn, implementation=3)
