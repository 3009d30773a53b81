"""The linear SEM: structure, scrambling and block ratios."""
import numpy as np
import pytest

from jaxlab.data import linear_sem


def test_environments_follow_the_equations():
  sem = linear_sem.LinearSEM(dim=3, sigmas=(0.5, 2.0), causal_b=(1, 0),
                             samples_per_env=4000, scramble=True)
  data = linear_sem.generate(sem, seed=0)
  assert data.x_NxD.shape == (8000, 6) and data.y_N.shape == (8000,)
  np.testing.assert_allclose(data.scramble_DxD @ data.scramble_DxD.T, np.eye(6), atol=1e-9)
  z = data.x_NxD @ data.scramble_DxD            # back to latent coordinates
  for e, (sigma, b) in enumerate(zip(sem.sigmas, sem.causal_b)):
    rows = data.env_N == e
    assert z[rows].std() == pytest.approx(sigma, rel=0.05)
    coef = np.linalg.lstsq(z[rows], data.y_N[rows], rcond=None)[0]
    np.testing.assert_allclose(coef, np.concatenate([data.w1, b * data.w2]),
                               atol=0.08)   # standard error ~ 1/sqrt(4000)
  assert data.block_ratios(data.scramble_DxD @ np.concatenate([data.w1, data.w2])) \
      == pytest.approx((1.0, 1.0))
  assert data.block_ratios(data.scramble_DxD @ np.concatenate(
      [data.w1, 0 * data.w2]))[1] == pytest.approx(0.0, abs=1e-9)


def test_bad_settings_raise():
  with pytest.raises(ValueError, match="b_e must be 0 or 1"):
    linear_sem.LinearSEM(causal_b=(1, 2, 0, 0))
  with pytest.raises(ValueError, match="equal length"):
    linear_sem.LinearSEM(sigmas=(1.0,), causal_b=(1, 0))
