"""The small classifiers of the invariance experiments."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlab.models.classifiers import (BagOfWordsClassifier, MLPClassifier,
                                       MLPConfig, TextConfig)


def test_mlp_shapes_and_grayscale_ignores_colour():
  x = jax.random.uniform(jax.random.PRNGKey(0), (5, 2, 8, 8))
  model = MLPClassifier(MLPConfig((8,), grayscale=True))
  params = model.init(jax.random.PRNGKey(1), x)
  out = model.apply(params, x)
  assert out.shape == (5,)
  np.testing.assert_allclose(out, model.apply(params, x[:, ::-1]), rtol=1e-5)
  multi = MLPClassifier(MLPConfig((8,), num_outputs=3))
  assert multi.apply(multi.init(jax.random.PRNGKey(1), x), x).shape == (5, 3)
  biases = jax.tree.leaves(params["params"]["Dense_0"]["bias"])
  assert all(np.all(np.asarray(b) == 0) for b in biases)


def test_bag_of_words_ignores_padding_and_order():
  model = BagOfWordsClassifier(TextConfig(vocab_size=10))
  tokens = jnp.array([[3, 4, 5, 0, 0], [5, 3, 4, 0, 0], [3, 4, 5, 0, 0]])
  params = model.init(jax.random.PRNGKey(0), tokens)
  out = model.apply(params, tokens)
  assert out.shape == (3,)
  np.testing.assert_allclose(out[0], out[1], rtol=1e-5)
  np.testing.assert_allclose(out[0], model.apply(params, tokens[:1, :3])[0], rtol=1e-5)
  with pytest.raises(ValueError, match=r"tokens must be \[N, L\]"):
    model.apply(params, tokens[0])
