"""Π-Nets and the MLP: the Flax back end of the architecture trees."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlab.models import arch
from jaxlab.models.mlp import MLP, MLPConfig, architecture as mlp_architecture
from jaxlab.models.pinet import PiNet, PiNetConfig, architecture

Z = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (5, 3)))


def test_ccp_is_the_literal_recursion_at_init():
  """y_1 = U_1^T x; y_n = (U_n^T x) * y_{n-1} + y_{n-1}; out = C y_N, with
  x = sqrt(d) z and the NTK parametrisation's 1/sqrt(fan_in) scales."""
  net = PiNet(PiNetConfig("ccp", degree=3, width=6))
  params = net.init(jax.random.PRNGKey(1), Z)["params"]["net"]
  x = Z * np.sqrt(3)
  us = [np.asarray(params[f"dense_{i}"]["kernel"]) / np.sqrt(3) for i in range(3)]
  y = x @ us[0]
  for u in us[1:]:
    y = (x @ u) * y + y
  out = y @ np.asarray(params["dense_3"]["kernel"]) / np.sqrt(6)
  np.testing.assert_allclose(net.apply({"params": {"net": params}}, Z), out, rtol=1e-4)


def test_product_without_activation_is_homogeneous_of_its_degree():
  net = PiNet(PiNetConfig("product", degree=3, width=8))
  params = net.init(jax.random.PRNGKey(2), Z)
  np.testing.assert_allclose(net.apply(params, 2 * Z), 8 * net.apply(params, Z), rtol=1e-4)


@pytest.mark.parametrize("config", [PiNetConfig("ccp", 3, 8), PiNetConfig("ncp", 3, 8),
                                    PiNetConfig("ncp", 2, 8, activation="relu"),
                                    PiNetConfig("product", 2, 8, parametrization="standard")],
                         ids=["ccp", "ncp", "ncp_relu", "product_standard"])
def test_shapes_and_parameter_count(config):
  net = PiNet(config)
  params = net.init(jax.random.PRNGKey(3), Z)
  assert net.apply(params, Z).shape == (5, 1)
  num = sum(p.size for p in jax.tree.leaves(params))
  assert num == arch.count_params(architecture(config), 3)


def test_mlp_matches_count_and_standard_parametrisation_scale():
  config = MLPConfig(depth=2, width=16, b_std=0.1)
  params = MLP(config).init(jax.random.PRNGKey(4), Z)
  assert sum(p.size for p in jax.tree.leaves(params)) == arch.count_params(
      mlp_architecture(config), 3) == 3 * 16 + 16 + 16 * 16 + 16 + 16
  std = MLP(MLPConfig(width=4096, parametrization="standard")).init(
      jax.random.PRNGKey(5), Z)["params"]["net"]["dense_0"]["kernel"]
  assert float(jnp.std(std)) == pytest.approx(np.sqrt(2 / 3), rel=0.05)


def test_bad_configs_are_refused():
  with pytest.raises(ValueError, match="'tt'"):
    PiNetConfig("tt")
  with pytest.raises(ValueError, match="'tanh'"):
    PiNetConfig("ccp", activation="tanh")
  with pytest.raises(ValueError, match="degree"):
    PiNetConfig("product", degree=1)
  with pytest.raises(ValueError, match="depth"):
    MLPConfig(depth=0)
  with pytest.raises(ValueError, match="parametrization"):
    PiNet(PiNetConfig(parametrization="mup")).init(jax.random.PRNGKey(0), Z)
