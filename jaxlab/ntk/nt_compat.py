"""neural-tangents 0.6.5 on JAX 0.10: the one module that imports it.

neural-tangents' last release imports names JAX has since moved
(``jax.core.Jaxpr`` and friends went to ``jax.extend.core``, the module
``jax.util`` is gone, ``jax.interpreters.ad.zeros_like_p`` was removed) and
its ``experimental`` subpackage needs tensorflow + tf2jax. Before importing it
we re-expose those names where it looks for them and stand in an empty
``neural_tangents.experimental`` (jaxlab uses none of it).

What works through this shim (tested in ``tests/test_ntk_nt_compat.py``):
analytic kernels of ``stax`` (including ``FanInProd``, which Π-Nets need) and
the empirical NTK implementations 1 (jacobian contraction) and 2 (NTK-vector
products). Implementation 3 (structured derivatives) still fails on JAX 0.10,
so `empirical_ntk_fn` refuses it with a clear error.

Every other jaxlab module reaches neural-tangents through the names exported
here, never by importing it, so a future fix lives in one place.
"""
from __future__ import annotations

import importlib
import sys
import types

import jax
import jax._src.util as _jax_util
import jax.extend.core as _extend_core
from jax.interpreters import ad as _ad

_MOVED_CORE_NAMES = ("Jaxpr", "JaxprEqn", "Literal", "Var", "Primitive",
                     "ShapedArray", "Value")
WORKING_IMPLEMENTATIONS = (1, 2)


def _install_shims() -> None:
  """Puts the moved JAX names back where neural-tangents 0.6.5 imports them."""
  for name in _MOVED_CORE_NAMES:
    if not hasattr(jax.core, name):
      setattr(jax.core, name, getattr(_extend_core, name))
  if "jax.util" not in sys.modules:
    try:
      importlib.import_module("jax.util")  # still present on older JAX
    except ImportError:
      util = types.ModuleType("jax.util")
      util.safe_map = _jax_util.safe_map
      util.safe_zip = _jax_util.safe_zip
      sys.modules["jax.util"] = util
  if not hasattr(_ad, "zeros_like_p"):
    # Only a dictionary key in the structured-derivative rules (implementation
    # 3, unsupported here); a fresh primitive keeps those rules importable.
    _ad.zeros_like_p = _extend_core.Primitive("zeros_like")
  sys.modules.setdefault("neural_tangents.experimental",
                         types.ModuleType("neural_tangents.experimental"))


_install_shims()

import neural_tangents as _nt  # noqa: E402
from neural_tangents import stax  # noqa: E402,F401

__version__ = _nt.__version__


def empirical_ntk_fn(apply_fn, *, trace_axes=(-1,), implementation: int = 1):
  """``neural_tangents.empirical_ntk_fn`` limited to the implementations that
  work on this JAX: 1 (jacobian contraction) and 2 (NTK-vector products)."""
  if implementation not in WORKING_IMPLEMENTATIONS:
    raise ValueError(
        f"neural-tangents empirical NTK implementation {implementation!r} is not "
        f"supported on JAX {jax.__version__}; use one of {WORKING_IMPLEMENTATIONS} "
        "(3, structured derivatives, fails inside neural-tangents 0.6.5)")
  return _nt.empirical_ntk_fn(apply_fn, trace_axes=trace_axes,
                              implementation=implementation)
