"""Neural tangent kernels and their spectra on the sphere.

- `analytic`: infinite-width NNGP/NTK of an architecture tree, by closed-form
  recursion (`kernels_of_u`, `relu_mlp_kernels`, `ccp_kernels`, `ncp_kernels`)
  and through neural-tangents stax (`stax_kernels`);
- `empirical`: the empirical NTK Gram matrix of any Flax model, tile by tile;
- `spectra`: eigenvalues per spherical-harmonic degree (Funk-Hecke quadrature,
  Gram eigen-decomposition), decay-rate fits;
- `nt_compat`: the only module that imports neural-tangents (imported lazily
  here, since it is the slow one).
"""
from jaxlab.ntk.analytic import (Kernels, arccos_kernel, ccp_kernels,
                                 kernels_of_u, ncp_kernels, relu_mlp_kernels,
                                 stax_kernels, stax_layers)
from jaxlab.ntk.empirical import empirical_ntk
from jaxlab.ntk.spectra import (decay_slope, degree_projectors,
                                eigenvalues_by_degree, gegenbauer,
                                gram_eigenvalues_by_degree, num_harmonics,
                                sample_sphere)

__all__ = [
    "Kernels", "arccos_kernel", "ccp_kernels", "decay_slope", "degree_projectors",
    "eigenvalues_by_degree", "empirical_ntk", "gegenbauer",
    "gram_eigenvalues_by_degree", "kernels_of_u", "ncp_kernels", "num_harmonics",
    "relu_mlp_kernels", "sample_sphere", "stax_kernels", "stax_layers",
]
