"""The beginning-of-sequence option of the universal experiments' Transformer:
the model predicts every data position (position 0 from BOS alone), the
evaluation log-loss is the training objective, and nothing leaks from the
future."""
import math

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxlab.experiments import _universal as U
from jaxlab.models.transformer import Transformer, init_params
from jaxlab.objectives.lm import make_loss_fn

ALPHABET, LENGTH = 2, 12


def _model(bos: bool):
  model = ml_collections.ConfigDict({"d_model": 16, "num_layers": 1, "num_heads": 1,
                                     "mlp_dim": 0, "positional": "learned", "bos": bos})
  cfg = U.transformer_config(model, ALPHABET, LENGTH)
  params = jax.tree.map(lambda x: x * 50.0,   # far from uniform predictions
                        init_params(cfg, jax.random.PRNGKey(0)))
  return model, cfg, params


def _tokens(seed: int, rows: int = 4) -> np.ndarray:
  return np.array(jax.random.randint(jax.random.PRNGKey(seed), (rows, LENGTH), 0, ALPHABET))


def test_bos_is_one_id_past_the_alphabet():
  model, cfg, _ = _model(bos=True)
  assert cfg.vocab_size == ALPHABET + 1
  assert U.bos_id(model, cfg) == ALPHABET
  np.testing.assert_array_equal(U.with_bos(jnp.array([[0, 1]]), 2), [[2, 0, 1]])
  assert U.bos_id(_model(bos=False)[0], _model(bos=False)[1]) is None


@pytest.mark.parametrize("bos", [False, True])
def test_eval_log_loss_is_the_training_loss(bos):
  model, cfg, params = _model(bos)
  tokens = _tokens(1)
  loss_BxT = U.transformer_log_loss_fn(cfg, U.bos_id(model, cfg))(params, jnp.asarray(tokens))
  assert loss_BxT.shape == tokens.shape
  train_tokens = U.with_bos(jnp.asarray(tokens), U.bos_id(model, cfg))
  train_loss, _ = make_loss_fn(Transformer(cfg).apply)(params, {"tokens": train_tokens}, None)
  predicted = loss_BxT if bos else loss_BxT[:, 1:]
  np.testing.assert_allclose(predicted.mean(), train_loss, rtol=1e-5)
  if not bos:   # nothing to predict the first symbol from
    np.testing.assert_allclose(loss_BxT[:, 0], math.log(ALPHABET))


def test_bos_log_loss_is_causal():
  model, cfg, params = _model(bos=True)
  fn = U.transformer_log_loss_fn(cfg, U.bos_id(model, cfg))
  a, b = _tokens(2), _tokens(3)
  b[:, :5] = a[:, :5]
  la, lb = np.asarray(fn(params, jnp.asarray(a))), np.asarray(fn(params, jnp.asarray(b)))
  np.testing.assert_allclose(la[:, :5], lb[:, :5], rtol=1e-6)   # same past, same loss
  assert not np.allclose(la[:, 5:], lb[:, 5:])
  # Position 0 is predicted from BOS alone: one value for every row.
  loss_of_0 = np.where(a[:, 0] == 0, la[:, 0], np.nan)
  assert np.nanstd(loss_of_0) < 1e-6 and np.nanmean(loss_of_0) != pytest.approx(math.log(2))
