"""Spectral kernels: how fast do NTK eigenvalues decay with harmonic degree?

For dot-product kernels on the sphere S^{d-1} the eigenfunctions are the
spherical harmonics; mu_k (degree k) sets how fast gradient descent in the
kernel regime learns degree k. We compute mu_k by Funk-Hecke quadrature for
the ReLU MLP NTK (2 and 4 layers), the arc-cosine NNGP, CCP and NCP Π-Nets of
several degrees, and activated products, on S^2 and S^9; fit decay slopes on
log-log axes; and cross-check the quadrature against the eigenvalues of a
neural-tangents Gram matrix on uniform points of S^2.
"""
from __future__ import annotations

from typing import Callable

import jax
import ml_collections
import numpy as np
from tqdm.auto import tqdm

from jaxlab.experiments import common
from jaxlab.models import arch, mlp, pinet
from jaxlab.ntk import analytic, spectra

PAPER = "spectral"
DESCRIPTION = "NTK eigenvalue decay per spherical-harmonic degree: ReLU MLP vs CCP/NCP Π-Nets (S^2, S^9)"
GRAM_KERNEL = "ncp3_relu"


def kernel_specs(polynomial_degrees) -> dict[str, tuple[arch.Layer, str]]:
  """name -> (architecture, "ntk" | "nngp"): the kernels compared."""
  specs = {
      "relu_ntk": (mlp.architecture(mlp.MLPConfig(depth=1, width=1)), "ntk"),
      "relu4_ntk": (mlp.architecture(mlp.MLPConfig(depth=3, width=1)), "ntk"),
      "arccos_nngp": (mlp.architecture(mlp.MLPConfig(depth=1, width=1)), "nngp"),
      "relu_x_linear_ntk": (pinet.architecture(
          pinet.PiNetConfig("product", 2, 1, activation="relu")), "ntk"),
  }
  for n in polynomial_degrees:
    for kind in ("ccp", "ncp"):
      specs[f"{kind}{n}"] = (pinet.architecture(pinet.PiNetConfig(kind, n, 1)), "ntk")
  specs["ccp3_relu"] = (pinet.architecture(pinet.PiNetConfig("ccp", 3, 1, activation="relu")), "ntk")
  specs[GRAM_KERNEL] = (pinet.architecture(pinet.PiNetConfig("ncp", 3, 1, activation="relu")), "ntk")
  return specs


def _kernel_fn(spec: arch.Layer, which: str) -> Callable:
  return lambda u: getattr(analytic.kernels_of_u(spec, u), which)


def _has_activation(node: arch.Layer) -> bool:
  children = getattr(node, "layers", ()) + getattr(node, "branches", ())
  return isinstance(node, arch.Activation) or any(map(_has_activation, children))


def spectrum_results(name: str, spec: arch.Layer, mu: np.ndarray, d: int,
                     config) -> dict[str, float]:
  """Ratios mu_k / mu_0, the highest nonzero degree, and the decay slope of
  the tail where the spectrum is infinite (a kernel without activations is
  a polynomial in u: finite rank, no slope)."""
  out = {f"ratio/d{d}/{name}/k{k}": float(mu[k] / mu[0]) for k in config.ratio_degrees}
  nonzero = np.flatnonzero(np.abs(mu) > 1e-9 * np.abs(mu).max())
  out[f"top_degree/d{d}/{name}"] = int(nonzero.max())
  if _has_activation(spec):
    out[f"slope/d{d}/{name}"] = spectra.decay_slope(mu, config.slope_min_degree)
  return out


def gram_check(config) -> dict[str, float]:
  """Gram-matrix eigenvalues (neural-tangents stax) vs quadrature on S^2."""
  spec, which = kernel_specs(())[GRAM_KERNEL]
  z = spectra.sample_sphere(jax.random.PRNGKey(config.seed), config.gram_points, 3)
  with jax.enable_x64(True):
    nngp, ntk = analytic.stax_kernels(spec, z)
    gram = np.asarray(ntk if which == "ntk" else nngp)
  counts, means = spectra.gram_eigenvalues_by_degree(gram, z, config.gram_max_degree)
  mu = spectra.eigenvalues_by_degree(_kernel_fn(spec, which), 3, config.gram_max_degree,
                                     config.num_nodes)
  degrees = range(config.gram_max_degree + 1)
  out = {f"gram/{GRAM_KERNEL}/count_k{k}": int(counts[k]) for k in degrees}
  out.update({f"gram/{GRAM_KERNEL}/mu_k{k}": float(means[k]) for k in degrees})
  out.update({f"quadrature/{GRAM_KERNEL}/mu_k{k}": float(mu[k]) for k in degrees})
  out["gram/max_rel_error"] = float(np.nanmax(np.abs(means - mu) / np.abs(mu)))
  return out


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, float]:
  specs = kernel_specs(config.polynomial_degrees)
  results: dict[str, float] = {}
  curves: dict[int, dict[str, list]] = {}
  jobs = [(d, name) for d in config.dims for name in specs]
  for d, name in tqdm(jobs, desc="spectra", leave=False):
    spec, which = specs[name]
    got = common.cached(workdir, f"d{d}_{name}", lambda: {"mu": spectra.eigenvalues_by_degree(
        _kernel_fn(spec, which), d, config.max_degree, config.num_nodes)})
    mu = np.asarray(got["mu"])
    curves.setdefault(d, {})[name] = mu
    results.update(spectrum_results(name, spec, mu, d, config))
  results.update(common.cached(workdir, "gram_check", lambda: gram_check(config)))
  plot_spectra(curves, workdir)
  return common.write_results(workdir, "spectral_kernels", results, config)


def plot_spectra(curves: dict[int, dict[str, np.ndarray]], workdir: str) -> None:
  """mu_k / mu_0 against k on log-log axes, one panel per sphere."""
  common.figure_backend()
  import matplotlib.pyplot as plt
  fig, axes = plt.subplots(1, len(curves), figsize=(5.2 * len(curves), 4), squeeze=False)
  for ax, (d, by_name) in zip(axes[0], sorted(curves.items())):
    for i, (name, mu) in enumerate(by_name.items()):
      k = np.arange(1, len(mu))
      ratio = mu[1:] / mu[0]
      keep = np.abs(ratio) > 1e-9
      style = "--" if name.startswith(("ccp", "ncp")) and "relu" not in name else "-"
      ax.plot(k[keep], ratio[keep], style, marker="o", ms=2.5, lw=1, label=name,
              color=plt.cm.tab20(i % 20))
    ax.set(xscale="log", yscale="log", xlabel="harmonic degree k",
           ylabel="mu_k / mu_0", title=f"S^{d - 1} (d = {d})")
  axes[0][-1].legend(fontsize=7, ncol=2)
  common.save_figure(fig, workdir, "spectral_kernels")


def summarize(results: dict[str, float]) -> str:
  def r(name, k, d=3):
    return results.get(f"ratio/d{d}/{name}/k{k}", float("nan"))

  text = (
      "The paper (Π-Net NTK analysis) claims that polynomial networks speed up the "
      "learning of higher frequencies compared with ReLU networks, because their NTK "
      "puts more weight on higher spherical-harmonic degrees. On S^2 the 2-layer ReLU "
      f"NTK has mu_2/mu_0 = {r('relu_ntk', 2):.3f} and mu_4/mu_0 = {r('relu_ntk', 4):.4f} "
      f"(decay slope {results.get('slope/d3/relu_ntk', float('nan')):.2f}, about k^-d; "
      f"arc-cosine NNGP {results.get('slope/d3/arccos_nngp', float('nan')):.2f}), while "
      f"NCP of degree 3 has mu_2/mu_0 = {r('ncp3', 2):.2f}, mu_3/mu_0 = {r('ncp3', 3):.2f} "
      f"and CCP of degree 3 mu_2/mu_0 = {r('ccp3', 2):.2f}; without activations a degree-N "
      "Π-Net has finite rank (mu_k = 0 for k > N). Activated products keep the ReLU "
      f"tail (relu(Az)*(Bz): slope {results.get('slope/d3/relu_x_linear_ntk', float('nan')):.2f}) "
      f"but put more mass at low and middle degrees (mu_2/mu_0 = {r('relu_x_linear_ntk', 2):.2f}). "
      "On S^9 the fitted tail slopes are "
      f"{results.get('slope/d10/relu_ntk', float('nan')):.1f} (ReLU NTK) and "
      f"{results.get('slope/d10/ncp3_relu', float('nan')):.1f} (NCP-3 with ReLU branches): "
      "steeper with d, still pre-asymptotic at the degrees float64 resolves (k^-d predicts -10). "
      f"The Gram-matrix cross-check ({GRAM_KERNEL}, stax, on uniform points of S^2) "
      "finds eigenvalue groups of sizes "
      + ", ".join(str(int(results[k])) for k in sorted(results) if k.startswith(f"gram/{GRAM_KERNEL}/count_k"))
      + f" (2k+1) within {100 * results['gram/max_rel_error']:.1f} % of the quadrature values.")
  return text
