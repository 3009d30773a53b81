"""Funk-Hecke eigenvalues vs closed forms, vs Gram matrices; finite rank; errors."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

from jaxlab.ntk import analytic, spectra


def relu_ntk(u):
  return analytic.relu_mlp_kernels(u).ntk


@pytest.mark.parametrize("d", [2, 3, 7])
def test_constant_kernel_has_only_degree_zero(d):
  mu = spectra.eigenvalues_by_degree(jnp.ones_like, d, 4)
  np.testing.assert_allclose(mu, [1, 0, 0, 0, 0], atol=1e-12)


def test_num_harmonics():
  assert [spectra.num_harmonics(3, k) for k in range(4)] == [1, 3, 5, 7]
  assert [spectra.num_harmonics(2, k) for k in range(3)] == [1, 2, 2]
  assert spectra.num_harmonics(4, 2) == 9


def test_two_layer_relu_ntk_matches_arccos_closed_form():
  """Theta = kappa_1(u) + u kappa_0(u); its Legendre coefficients on S^2 by
  adaptive quadrature of the written-out arc-cosine formula, and the exact
  values 1/2, 1/3, 5/64, 0, 1/192 (odd k >= 3 vanish)."""
  mu = spectra.eigenvalues_by_degree(relu_ntk, 3, 6)

  def closed(t):
    theta = np.arccos(t)
    return (np.sin(theta) + (np.pi - theta) * t + t * (np.pi - theta)) / np.pi

  reference = [0.5 * integrate.quad(lambda t: closed(t) * spectra.gegenbauer(k, 3, t)[k],
                                    -1, 1, limit=200)[0] for k in range(7)]
  np.testing.assert_allclose(mu, reference, atol=1e-9)
  np.testing.assert_allclose(mu[:6], [1 / 2, 1 / 3, 5 / 64, 0, 1 / 192, 0], atol=1e-9)
  assert mu[2] / mu[0] == pytest.approx(0.15625, abs=1e-9)
  slope = spectra.decay_slope(spectra.eigenvalues_by_degree(relu_ntk, 3, 40), min_degree=2)
  assert -3.3 < slope < -2.9   # ~ k^{-d} on S^{d-1} (Bietti & Mairal 2019)


def test_polynomial_networks_have_finite_rank():
  """A degree-N Π-Net without activations has mu_k = 0 for k > N."""
  ncp = spectra.eigenvalues_by_degree(lambda u: analytic.ncp_kernels(u, 3).ntk, 3, 8)
  np.testing.assert_allclose(ncp[:4] / ncp[0], [1, 1.44, 0.40, 0.24], atol=1e-9)
  np.testing.assert_allclose(ncp[4:], 0, atol=1e-10)
  ccp = spectra.eigenvalues_by_degree(lambda u: analytic.ccp_kernels(u, 5).ntk, 7, 9)
  assert np.all(ccp[:6] > 1e-4) and np.all(np.abs(ccp[6:]) < 1e-10)


def test_gram_eigenvalues_group_into_multiplicities_and_match_quadrature():
  z = spectra.sample_sphere(jax.random.PRNGKey(0), 700, 3)
  with jax.enable_x64(True):
    gram = np.asarray(relu_ntk(jnp.asarray(z @ z.T)))
  counts, means = spectra.gram_eigenvalues_by_degree(gram, z, 4)
  mu = spectra.eigenvalues_by_degree(relu_ntk, 3, 4)
  np.testing.assert_array_equal(counts, [1, 3, 5, 0, 9])   # 2k + 1; mu_3 = 0
  keep = counts > 0
  np.testing.assert_allclose(means[keep], mu[keep], rtol=0.03)


def test_bad_inputs_are_refused():
  with pytest.raises(ValueError, match="d >= 2"):
    spectra.eigenvalues_by_degree(relu_ntk, 1, 3)
  z = np.ones((5, 3))
  with pytest.raises(ValueError, match="unit sphere"):
    spectra.gram_eigenvalues_by_degree(np.eye(5), z, 2)
  with pytest.raises(ValueError, match="two nonzero"):
    spectra.decay_slope(np.array([1.0, 0.0, 0.0]))
