"""The three spectral experiments, tiny variants, asserting on their numbers."""
import numpy as np
import pytest

from jaxlab import experiments
from jaxlab.configs import spectral_image, spectral_kernels, spectral_training
from jaxlab.data.images import coordinate_dataset, synthetic_image


def test_spectral_kernels_tiny(tmp_path):
  exp = experiments.load("spectral_kernels")
  r = exp.run(spectral_kernels.get_config("tiny"), str(tmp_path))
  assert r["ratio/d3/relu_ntk/k2"] == pytest.approx(0.15625, abs=1e-6)
  assert [r[f"ratio/d3/ncp3/k{k}"] for k in (1, 2, 3)] == pytest.approx([1.44, 0.40, 0.24], abs=1e-6)
  assert r["ratio/d3/ncp3/k4"] == pytest.approx(0, abs=1e-8)
  assert r["top_degree/d3/ccp2"] == 2 and r["top_degree/d10/ncp3"] == 3
  assert -3.6 < r["slope/d3/relu_ntk"] < -2.9
  assert [r[f"gram/ncp3_relu/count_k{k}"] for k in range(3)] == [1, 3, 5]
  assert r["gram/max_rel_error"] < 0.1
  assert (tmp_path / "spectral_kernels.png").exists()
  assert "mu_2/mu_0" in exp.summarize(r)


def test_spectral_training_tiny(tmp_path):
  exp = experiments.load("spectral_training")
  config = spectral_training.get_config("tiny")
  r = exp.run(config, str(tmp_path))
  mlp_kernel = [r[f"iters_to_fit/mlp_kernel/k{k}"] for k in config.degrees]
  ccp_kernel = [r[f"iters_to_fit/ccp_kernel/k{k}"] for k in config.degrees]
  # Infinite width: the ReLU NTK learns degree by degree; the CCP fits the
  # top degree within the budget, sooner than the MLP (which may not at all).
  assert mlp_kernel[0] <= mlp_kernel[1]
  assert np.isfinite(ccp_kernel[-1])
  assert not ccp_kernel[-1] >= mlp_kernel[-1]   # NaN (never fitted) counts as slower
  for model in config.models:
    assert np.isfinite(r[f"iters_to_fit/{model}/k1"]), model
    assert r[f"params/{model}"] <= config.param_budget
  assert (tmp_path / "spectral_training_curves.png").exists()
  assert "k=4" in exp.summarize(r)


def test_synthetic_image_and_coordinates():
  img = synthetic_image(16)
  assert img.shape == (16, 16) and img.min() >= 0 and img.max() <= 1
  data = coordinate_dataset(img)
  assert data["coords"].shape == (256, 2) and data["pixels"].shape == (256,)
  np.testing.assert_allclose(data["coords"].min(0), [-1, -1])
  with pytest.raises(ValueError, match="size"):
    synthetic_image(4)


@pytest.mark.slow
def test_spectral_image_tiny(tmp_path):
  exp = experiments.load("spectral_image")
  config = spectral_image.get_config("tiny")
  r = exp.run(config, str(tmp_path))
  for model in config.models:
    by_step = sorted((int(k.rsplit("step", 1)[1]), v) for k, v in r.items()
                     if k.startswith(f"psnr/{model}/") and not k.endswith("_std"))
    assert by_step[-1][0] == config.train.num_steps
    assert by_step[-1][1] > by_step[0][1], (model, by_step)
  assert (tmp_path / "spectral_image.png").exists()
