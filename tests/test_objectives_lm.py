"""Next-token cross-entropy with a mask."""
import math

import jax.numpy as jnp
import numpy as np

from jaxlab.objectives import lm


def test_uniform_logits_cost_log_vocab_and_mask_selects_positions():
  logits = jnp.zeros((2, 3, 8))
  targets = jnp.array([[1, 2, 3], [4, 5, 6]])
  loss, aux = lm.next_token_loss(logits, targets)
  np.testing.assert_allclose(loss, math.log(8), rtol=1e-6)
  np.testing.assert_allclose(aux["bits_per_token"], 3.0, rtol=1e-6)
  confident = jnp.zeros((2, 3, 8)).at[0, 0, 1].set(100.0)
  mask = jnp.array([[1, 0, 0], [0, 0, 0]])
  loss, aux = lm.next_token_loss(confident, targets, mask)
  np.testing.assert_allclose(loss, 0.0, atol=1e-6)
  assert float(aux["accuracy"]) == 1.0


def test_make_loss_fn_shifts_tokens():
  seen = {}

  def apply_fn(variables, inputs):
    seen["inputs"] = inputs
    return jnp.zeros(inputs.shape + (5,)).at[..., 0].set(50.0)   # always predicts 0

  loss_fn = lm.make_loss_fn(apply_fn)
  tokens = jnp.array([[3, 0, 0, 0]])
  loss, aux = loss_fn({}, {"tokens": tokens}, None)
  np.testing.assert_array_equal(seen["inputs"], tokens[:, :-1])
  assert float(loss) < 1e-6 and float(aux["accuracy"]) == 1.0
  loss, _ = loss_fn({}, {"tokens": tokens, "mask": jnp.array([[1, 1, 0, 0]])}, None)
  assert float(loss) < 1e-6
