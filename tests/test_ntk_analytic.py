"""Kernel recursion vs neural-tangents stax vs wide empirical NTKs (float64)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlab.models import arch, mlp, pinet
from jaxlab.ntk import analytic, empirical_ntk, sample_sphere

SPECS = {
    "relu_mlp": mlp.architecture(mlp.MLPConfig(depth=2, width=4, b_std=0.5)),
    "ccp3": pinet.architecture(pinet.PiNetConfig("ccp", 3, 4)),
    "ncp3": pinet.architecture(pinet.PiNetConfig("ncp", 3, 4, beta=0.7)),
    "ccp2_relu": pinet.architecture(pinet.PiNetConfig("ccp", 2, 4, activation="relu")),
    "ncp2_relu": pinet.architecture(pinet.PiNetConfig("ncp", 2, 4, activation="relu")),
    "relu_times_linear": pinet.architecture(pinet.PiNetConfig("product", 2, 4, activation="relu")),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_recursion_matches_stax(name):
  """1e-10 off the diagonal; on it, arccos' infinite slope at u = 1 turns the
  1e-16 rounding of <z, z> into ~1e-8, so the diagonal gets 1e-7."""
  z = sample_sphere(jax.random.PRNGKey(0), 6, 3)
  with jax.enable_x64(True):
    ours = analytic.kernels_of_u(SPECS[name], jnp.asarray(z @ z.T))
    nngp, ntk = analytic.stax_kernels(SPECS[name], jnp.asarray(z))
  off = ~np.eye(6, dtype=bool)
  for a, b in ((ours.nngp, nngp), (ours.ntk, ntk)):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == np.float64
    np.testing.assert_allclose(a[off], b[off], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.diag(a), np.diag(b), rtol=1e-7)


def test_closed_forms():
  u = np.linspace(-1, 1, 11)
  with jax.enable_x64(True):
    ccp = analytic.ccp_kernels(u, 3)
    ncp = analytic.ncp_kernels(u, 2, beta=1.0)
    relu = analytic.relu_mlp_kernels(u)
    k0, k1 = (np.asarray(analytic.arccos_kernel(i, u)) for i in (0, 1))
  np.testing.assert_allclose(ccp.nngp, u * (u + 1)**2, atol=1e-14)
  np.testing.assert_allclose(ccp.ntk, 4 * u * (u + 1)**2, atol=1e-14)
  # NCP N=2: K = u (u + 1); Theta = u (u + 1) + u (u + 1 + 2u) + K (readout)
  np.testing.assert_allclose(ncp.ntk, 3 * u * (u + 1) + 2 * u**2, atol=1e-14)
  np.testing.assert_allclose(relu.ntk, k1 + u * k0, atol=1e-14)
  np.testing.assert_allclose(relu.nngp, k1, atol=1e-14)


def test_activation_after_product_is_refused_by_both_back_ends():
  bad = arch.Serial((arch.Product((arch.Dense(4), arch.Dense(4))),
                     arch.Activation("relu"), arch.Dense(1)))
  with pytest.raises(ValueError, match="non-Gaussian"):
    analytic.kernels_of_u(bad, jnp.zeros(3))
  with pytest.raises(ValueError, match="non-Gaussian"):
    analytic.stax_layers(bad)


@pytest.mark.parametrize("config", [pinet.PiNetConfig("ncp", 2, 1),
                                    pinet.PiNetConfig("ccp", 2, 1, activation="relu")],
                         ids=["ncp2", "ccp2_relu"])
def test_wide_empirical_ntk_converges_to_analytic(config):
  """Relative Frobenius error of one draw: below 0.1 at width 2048 and
  smaller than at width 64 (it shrinks like 1/sqrt(width))."""
  z = sample_sphere(jax.random.PRNGKey(3), 8, 3).astype(np.float32)
  spec_cfg = dict(kind=config.kind, degree=config.degree, activation=config.activation)
  exact = np.asarray(analytic.kernels_of_u(
      pinet.architecture(pinet.PiNetConfig(width=1, **spec_cfg)), jnp.asarray(z @ z.T)).ntk)
  errors = {}
  for width in (64, 2048):
    net = pinet.PiNet(pinet.PiNetConfig(width=width, **spec_cfg))
    params = net.init(jax.random.PRNGKey(4), z)
    gram = empirical_ntk(net.apply, params, z)
    errors[width] = np.linalg.norm(gram - exact) / np.linalg.norm(exact)
  assert errors[2048] < 0.1, errors
  assert errors[2048] < errors[64], errors
