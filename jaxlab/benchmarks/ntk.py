"""Time to build an NTK Gram matrix on n sphere points and take its spectrum.

Kernel: NCP Π-Net of degree 3 with ReLU branches (a product, an activation
and dense layers: every rule of the recursion). For each n, the median wall
time of building the Gram matrix (on the host), and that plus the median
time of ``numpy.linalg.eigvalsh`` on it (timed once per n, since it does not
depend on how the matrix was built):

- analytic, neural-tangents stax ``kernel_fn`` (the peer);
- analytic, jaxlab's recursion on u = <z, z'> (`jaxlab.ntk.kernels_of_u`);
- empirical NTK of a finite network: jaxlab (jacobian tiles) and
  neural-tangents implementation 1 on the same tiles;
- the eigendecomposition alone: the floor every row pays.

Ratios are against the neural-tangents row of the same kind.
"""
from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np

from jaxlab.benchmarks.common import markdown_table, median_seconds
from jaxlab.models import pinet
from jaxlab.ntk import analytic, empirical_ntk, sample_sphere

DESCRIPTION = "NTK Gram matrix + spectrum for n = 1k, 2k, 4k: neural-tangents vs jaxlab recursion vs empirical"


def main(argv: list[str]) -> str:
  parser = argparse.ArgumentParser(prog="jaxlab bench ntk", description=DESCRIPTION)
  parser.add_argument("--sizes", default="1000,2000,4000",
                      help="comma-separated numbers of points")
  parser.add_argument("--repeats", type=int, default=3)
  parser.add_argument("--width", type=int, default=128, help="finite network width (empirical rows)")
  parser.add_argument("--block", type=int, default=500, help="empirical NTK tile size")
  args = parser.parse_args(argv)
  sizes = [int(s) for s in args.sizes.split(",")]

  config = pinet.PiNetConfig("ncp", 3, args.width, activation="relu")
  spec = pinet.architecture(config)
  net = pinet.PiNet(config)
  stax_gram = jax.jit(lambda z: analytic.stax_kernels(spec, z)[1])
  recursion_gram = jax.jit(lambda z: analytic.kernels_of_u(spec, z @ z.T).ntk)

  rows = []
  for n in sizes:
    z = jnp.asarray(sample_sphere(jax.random.PRNGKey(n), n, 3), jnp.float32)
    params = net.init(jax.random.PRNGKey(0), z[:1])
    floor_gram = np.asarray(recursion_gram(z))
    builders = {
        "analytic: neural-tangents stax": lambda: np.asarray(stax_gram(z)),
        "analytic: jaxlab recursion": lambda: np.asarray(recursion_gram(z)),
        "empirical: neural-tangents impl. 1": lambda: empirical_ntk(
            net.apply, params, z, method="nt1", block_size=args.block),
        "empirical: jaxlab jacobian tiles": lambda: empirical_ntk(
            net.apply, params, z, method="jacobian", block_size=args.block),
    }
    floor = median_seconds(lambda: np.linalg.eigvalsh(floor_gram), repeats=args.repeats)
    gram_seconds = {name: median_seconds(fn, repeats=args.repeats)
                    for name, fn in builders.items()}
    peers = {kind: gram_seconds[f"{kind}: neural-tangents " + ("stax" if kind == "analytic" else "impl. 1")]
             for kind in ("analytic", "empirical")}
    for name, sec in gram_seconds.items():
      rows.append((n, name, sec, sec + floor, f"{peers[name.split(':')[0]] / sec:.2f}x"))
    rows.append((n, "eigvalsh alone (the floor)", 0.0, floor, "-"))
  return markdown_table(("n", "method", "Gram s", "Gram + spectrum s",
                         "Gram speed vs neural-tangents"), rows)
