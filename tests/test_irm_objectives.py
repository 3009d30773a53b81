"""Invariance objectives against values computed by hand."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxlab.objectives import irm


def _sigmoid(x):
  return 1 / (1 + np.exp(-x))


def test_irmv1_mse_closed_form():
  # R(s) = mean((s f - y)^2): dR/ds at 1 = mean(2 f (f - y)) = (2*1*1 + 2*2*1)/2 = 3.
  f = jnp.array([1.0, 2.0, 1.0, -1.0])
  y = jnp.array([0.0, 1.0, 1.0, 1.0])
  env = jnp.array([0, 0, 1, 1])
  # Env 1: mean(2*1*0, 2*(-1)*(-2)) = 2 -> penalty 4.
  np.testing.assert_allclose(irm.irmv1_penalty(f, y, env, 2, "mse"), [9.0, 4.0],
                             rtol=1e-6)


def test_irmv1_bce_closed_form():
  # For logits f, dBCE(s f, y)/ds at 1 = f (sigmoid(f) - y).
  f = np.array([1.0, -2.0, 0.5])
  y = np.array([1.0, 0.0, 0.0])
  grad = np.mean(f * (_sigmoid(f) - y))
  got = irm.irmv1_penalty(jnp.asarray(f), jnp.asarray(y), jnp.zeros(3, jnp.int32), 1)
  np.testing.assert_allclose(got, [grad ** 2], rtol=1e-5)


def test_two_half_estimator_is_unbiased():
  """Over every ordered pair (i, j) of a population drawn i.i.d., the product
  of the two halves' gradients averages to the squared population gradient;
  the full-batch square does not (it adds the variance)."""
  f = np.array([1.5, -0.5, 2.0, -1.0, 0.3])
  y = np.array([1.0, 1.0, 0.0, 0.0, 1.0])
  g_pop = np.mean(f * (_sigmoid(f) - y))
  pairs = np.asarray(list(itertools.product(range(5), repeat=2)))
  env = jnp.zeros(2, jnp.int32)
  unbiased = jax.vmap(lambda ff, yy: irm.irmv1_penalty(ff, yy, env, 1, unbiased=True))(
      jnp.asarray(f[pairs]), jnp.asarray(y[pairs]))
  biased = jax.vmap(lambda ff, yy: irm.irmv1_penalty(ff, yy, env, 1))(
      jnp.asarray(f[pairs]), jnp.asarray(y[pairs]))
  np.testing.assert_allclose(unbiased.mean(), g_pop ** 2, rtol=1e-5)
  assert biased.mean() > g_pop ** 2 * 1.5


def test_halves_alternate_within_each_environment():
  env = jnp.array([0, 1, 0, 0, 1, 1, 0])
  np.testing.assert_array_equal(irm._half_index(env, 2), [0, 0, 1, 0, 1, 0, 1])


def test_vrex_penalty_is_variance_of_masked_risks():
  risks = jnp.array([1.0, 2.0, 4.0])
  np.testing.assert_allclose(irm.vrex_penalty(risks, jnp.ones(3)), 14 / 9, rtol=1e-6)
  np.testing.assert_allclose(irm.vrex_penalty(risks, jnp.array([1.0, 1.0, 0.0])), 0.25)


def test_annealing_rescales_and_lambda_zero_has_finite_gradients():
  f = jnp.array([1.0, 2.0, 1.0, -1.0])
  y = jnp.array([0.0, 1.0, 1.0, 1.0])
  env = jnp.array([0, 0, 1, 1])
  risk = np.mean((np.asarray(f) - np.asarray(y)) ** 2)   # both envs weigh 2 rows
  spec = irm.Invariance("irm", loss="mse", penalty_weight=100.0, anneal_step=5)
  before = irm.invariance_loss(spec, f, y, env, 2, jnp.array(4)).loss
  after = irm.invariance_loss(spec, f, y, env, 2, jnp.array(5)).loss
  np.testing.assert_allclose(before, risk + 6.5, rtol=1e-6)      # weight 1
  np.testing.assert_allclose(after, (risk + 100 * 6.5) / 100, rtol=1e-6)
  zero = irm.Invariance("irm", loss="mse", penalty_weight=0.0)
  grad = jax.grad(lambda p: irm.invariance_loss(zero, p, y, env, 2, jnp.array(9)).loss)(f)
  assert np.all(np.isfinite(grad))
  np.testing.assert_allclose(irm.invariance_loss(zero, f, y, env, 2, jnp.array(9)).loss,
                             risk, rtol=1e-6)


def test_partitioned_and_conditioned_select_environments():
  f = jnp.array([1.0, 2.0, 1.0, -1.0, 0.5, 0.5])
  y = jnp.array([0.0, 1.0, 1.0, 1.0, 0.0, 1.0])
  env = jnp.array([0, 0, 1, 1, 2, 2])
  risks = np.array([1.0, 2.0, 0.25])
  pens = np.asarray(irm.irmv1_penalty(f, y, env, 3, "mse"))
  part = irm.Invariance("irm", loss="mse", risk_envs=(0, 2))
  cond = irm.Invariance("irm", loss="mse", penalty_envs=(0, 2))
  out_p = irm.invariance_loss(part, f, y, env, 3, jnp.array(0))
  out_c = irm.invariance_loss(cond, f, y, env, 3, jnp.array(0))
  np.testing.assert_allclose(out_p.aux["risk"], risks[[0, 2]].mean(), rtol=1e-6)
  np.testing.assert_allclose(out_p.aux["penalty"], pens[[0, 2]].mean(), rtol=1e-6)
  np.testing.assert_allclose(out_c.aux["risk"], risks.mean(), rtol=1e-6)
  np.testing.assert_allclose(out_c.aux["penalty"], pens[[0, 2]].mean(), rtol=1e-6)


def test_groupdro_weights_follow_exponentiated_ascent():
  f = jnp.array([1.0, 2.0, 1.0, -1.0])
  y = jnp.array([0.0, 1.0, 1.0, 1.0])
  env = jnp.array([0, 0, 1, 1])
  spec = irm.Invariance("groupdro", loss="mse", dro_eta=0.5)
  q = jnp.array([0.25, 0.75])
  loss_fn = lambda q: irm.invariance_loss(spec, f, y, env, 2, jnp.array(0), q).loss
  np.testing.assert_allclose(loss_fn(q), 0.25 * 1.0 + 0.75 * 2.0, rtol=1e-6)
  tx = irm.exponentiated_ascent(0.5)
  updates, _ = tx.update(jax.grad(loss_fn)(q), tx.init(q), q)
  want = np.array([0.25 * np.exp(0.5), 0.75 * np.exp(1.0)])
  np.testing.assert_allclose(optax.apply_updates(q, updates), want / want.sum(), rtol=1e-5)


def test_env_metrics_fairness_view():
  logits = np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
  y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0])
  env = np.array([0, 0, 1, 1, 2, 2])
  m = irm.env_metrics(logits, y, env, ("a", "b", "c"))
  assert (m["acc/a"], m["acc/b"], m["acc/c"]) == (1.0, 0.5, 0.0)
  assert m["acc_mean"] == pytest.approx(0.5)
  assert m["acc_worst"] == 0.0 and m["acc_gap"] == 1.0
  assert m["acc_var"] == pytest.approx(1 / 6)
  assert m["risk_worst"] == pytest.approx(np.log1p(np.e))   # env c: both wrong by 1
  assert m["risk_gap"] == pytest.approx(m["risk/c"] - m["risk/a"])


def test_multiclass_penalty_shape():
  logits = jax.random.normal(jax.random.PRNGKey(0), (6, 3))
  pen = irm.irmv1_penalty(logits, jnp.array([0, 1, 2, 0, 1, 2]),
                          jnp.array([0, 0, 0, 1, 1, 1]), 2, "xent")
  assert pen.shape == (2,) and np.all(np.asarray(pen) >= 0)


def test_bad_input_errors():
  f, y = jnp.zeros(4), jnp.zeros(4)
  with pytest.raises(ValueError, match=r"environment\(s\) \[1\] have no samples"):
    irm.invariance_loss(irm.Invariance("irm"), f, y, jnp.array([0, 0, 2, 2]), 3,
                        jnp.array(0))
  with pytest.raises(ValueError, match="targets have shape"):
    jax.jit(lambda p: irm.env_risks(p, jnp.zeros(3), jnp.zeros(4, jnp.int32), 1))(f)
  with pytest.raises(ValueError, match="unknown method 'irmv2'"):
    irm.Invariance("irmv2")
  with pytest.raises(ValueError, match=r"environments \[5\] do not exist"):
    irm.Invariance("irm", risk_envs=(0, 5)).masks(3)
  with pytest.raises(ValueError, match="no samples"):
    irm.env_metrics(np.zeros(2), np.zeros(2), np.zeros(2, int), ("a", "b"))
