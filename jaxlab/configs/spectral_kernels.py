"""Spectral kernels: NTK/NNGP eigenvalues per harmonic degree, ReLU vs Π-Nets.

    jaxlab run spectral_kernels --workdir runs/spectral_kernels
    jaxlab run spectral_kernels --workdir runs/spectral_kernels_tiny --config=spectral_kernels:tiny
"""
import ml_collections


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.dims = (3, 10)             # spheres S^2 and S^9
  c.max_degree = 30
  c.num_nodes = 2048           # Gauss-Gegenbauer nodes
  c.polynomial_degrees = (2, 3, 4)
  c.ratio_degrees = (1, 2, 3, 4)
  c.slope_min_degree = 8       # fit the tail: the asymptotic decay rate
  c.gram_points = 2000         # Gram-matrix cross-check on S^2
  c.gram_max_degree = 4
  c.seed = 0
  if arg in (None, "", "default", "cpu"):
    return c
  if arg == "tiny":
    c.max_degree = 10
    c.slope_min_degree = 4
    c.num_nodes = 512
    c.polynomial_degrees = (2, 3)
    c.gram_points = 300
    c.gram_max_degree = 2
    return c
  raise ValueError(f"unknown spectral_kernels config variant {arg!r}; known: default, tiny")
