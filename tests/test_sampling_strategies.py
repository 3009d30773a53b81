"""Sampling strategies: exact distributions, support, per-row temperature."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from jaxlab.sampling import strategies as S

LOGITS_V = np.array([2.0, 1.5, 1.0, 0.3, 0.0, -0.5, -1.0, -3.0], np.float32)


def _softmax(x):
  x = np.asarray(x, np.float64)
  e = np.exp(x - x.max())
  return e / e.sum()


def _expected(strategy):
  """The strategy's distribution, computed by hand in NumPy."""
  p = _softmax(LOGITS_V / strategy.temperature)
  order = np.argsort(-p)
  keep = np.zeros_like(p, bool)
  if isinstance(strategy, S.TopK):
    keep[order[:strategy.k]] = True
  elif isinstance(strategy, S.TopP):
    before = np.cumsum(p[order]) - p[order]
    keep[order[before < strategy.p]] = True
  elif isinstance(strategy, S.MinP):
    keep = p >= strategy.p_min * p.max()
  else:
    keep[:] = True
  q = np.where(keep, p, 0.0)
  return q / q.sum()


STRATEGIES = [S.Temperature(0.7), S.TopK(3), S.TopP(0.8, temperature=1.3),
              S.MinP(0.2)]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: type(s).__name__)
def test_sampled_frequencies_match_the_distribution(strategy):
  expected = _expected(strategy)
  np.testing.assert_allclose(
      np.exp(S.log_probs(strategy, jnp.asarray(LOGITS_V)[None]))[0], expected,
      atol=1e-6)
  n = 20000
  logits = jnp.broadcast_to(jnp.asarray(LOGITS_V), (n, LOGITS_V.size))
  tokens = np.asarray(jax.jit(S.sample, static_argnums=0)(
      strategy, logits, jax.random.PRNGKey(0)))
  counts = np.bincount(tokens, minlength=LOGITS_V.size)
  support = expected > 0
  assert counts[~support].sum() == 0
  chi = stats.chisquare(counts[support], n * expected[support])
  assert chi.pvalue > 1e-3, (counts, n * expected)
  # The test has power: the untruncated, untempered softmax is rejected.
  wrong = _softmax(LOGITS_V)
  assert stats.chisquare(counts, n * wrong).pvalue < 1e-6


@pytest.mark.parametrize("strategy", [S.TopK(2), S.TopP(0.5), S.MinP(0.5)],
                         ids=lambda s: type(s).__name__)
def test_truncation_never_leaves_the_allowed_set(strategy):
  logits = jax.random.normal(jax.random.PRNGKey(1), (512, 20)) * 3
  logp = S.log_probs(strategy, logits)
  allowed = np.isfinite(np.asarray(logp))
  assert allowed.sum(1).min() >= 1
  if isinstance(strategy, S.TopK):
    assert (allowed.sum(1) == 2).all()
  for i in range(8):
    tok = np.asarray(S.sample(strategy, logits, jax.random.PRNGKey(i)))
    assert allowed[np.arange(512), tok].all()


def test_greedy_and_per_row_temperature():
  logits = jax.random.normal(jax.random.PRNGKey(2), (6, 11))
  argmax = np.asarray(jnp.argmax(logits, -1))
  np.testing.assert_array_equal(
      S.sample(S.Greedy(), logits, jax.random.PRNGKey(0)), argmax)
  temps = jnp.array([0.0, 0.0, 0.0, 50.0, 50.0, 50.0])
  draws = np.stack([np.asarray(S.sample(S.Temperature(1.0), logits,
                                        jax.random.PRNGKey(i), temps))
                    for i in range(40)])
  assert (draws[:, :3] == argmax[:3]).all()            # T=0 rows are greedy
  assert all(len(set(draws[:, r])) > 3 for r in range(3, 6))  # hot rows spread


@pytest.mark.parametrize("make, match", [
    (lambda: S.Temperature(-0.1), "temperature"),
    (lambda: S.TopK(0), "k >= 1"),
    (lambda: S.TopP(0.0), "0 < p"),
    (lambda: S.MinP(1.5), "p_min"),
    (lambda: S.row_temperatures(S.Temperature(), 2, jnp.array([1.0, -1.0])),
     "temperatures must be >= 0"),
])
def test_bad_settings_raise(make, match):
  with pytest.raises(ValueError, match=match):
    make()
