"""The benchmark's sequential reference predictors agree with jaxlab's
(a cross-check of KT and CTW on random sequences; no timing here)."""
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlab.benchmarks.universal_predictors import reference_ctw, reference_kt
from jaxlab.universal.ctw import ctw_log_loss
from jaxlab.universal.kt import kt_log_loss


@pytest.mark.parametrize("alphabet,order", [(2, 2), (3, 1)])
def test_kt_matches_the_sequential_reference(alphabet, order):
  x = np.random.default_rng(0).integers(0, alphabet, size=(3, 60))
  ours = kt_log_loss(x, order, alphabet).sum(1)
  np.testing.assert_allclose(ours, [reference_kt(r.tolist(), order, alphabet) for r in x])


@pytest.mark.parametrize("alphabet,depth", [(2, 3), (3, 2)])
def test_ctw_matches_the_sequential_reference(alphabet, depth):
  x = np.random.default_rng(1).integers(0, alphabet, size=(3, 60))
  ours = np.asarray(ctw_log_loss(jnp.asarray(x), depth, alphabet)).sum(1)
  np.testing.assert_allclose(ours, [reference_ctw(r.tolist(), depth, alphabet) for r in x],
                             rtol=1e-5)
