"""Empirical NTK engines agree with each other and with neural-tangents, tile by tile."""
import jax
import numpy as np
import pytest

from jaxlab.models.pinet import PiNet, PiNetConfig
from jaxlab.ntk import empirical_ntk


@pytest.fixture(scope="module")
def model():
  net = PiNet(PiNetConfig("ncp", degree=2, width=8))
  x = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (7, 3)))
  params = net.init(jax.random.PRNGKey(1), x)
  return net.apply, params, x


def test_all_methods_and_tilings_agree(model):
  apply_fn, params, x = model
  reference = empirical_ntk(apply_fn, params, x, method="jacobian", block_size=7)
  assert reference.shape == (7, 7)
  np.testing.assert_allclose(reference, reference.T, rtol=1e-5)
  assert np.all(np.linalg.eigvalsh(reference) > -1e-4 * reference.max())
  for method in ("jacobian", "ntvp", "nt1", "nt2"):
    gram = empirical_ntk(apply_fn, params, x, method=method, block_size=3)
    np.testing.assert_allclose(gram, reference, rtol=2e-4, atol=1e-5, err_msg=method)
  cross = empirical_ntk(apply_fn, params, x[:5], x[2:], method="ntvp", block_size=2)
  np.testing.assert_allclose(cross, reference[:5, 2:], rtol=2e-4, atol=1e-5)


def test_bad_method_is_refused(model):
  apply_fn, params, x = model
  with pytest.raises(ValueError, match="'exact'"):
    empirical_ntk(apply_fn, params, x, method="exact")
