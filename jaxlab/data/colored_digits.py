"""Colored Digits: the Colored-MNIST construction of IRM (Arjovsky et al. 2019).

A binary label comes from the digit (a *label rule*, e.g. digit < 5), is
flipped with probability 0.25 (label noise), and a colour agreeing with the
noisy label with probability ``1 - e`` paints the image into one of two
channels. Colour predicts the label better than the shape in training
(e = 0.1, 0.2) and is reversed at test (e = 0.9).

Images come from the 8x8 digits scikit-learn ships (1,797 images, no
download) or from real MNIST through tfds where the user has it (28x28,
subsampled to 14x14 as in the IRM code).

Deviation from the IRM code, needed on the small set: label noise and
colours are drawn afresh every step (from ``(seed, step)``). With one fixed
draw an MLP memorises the ~1,800 noisy labels, every environment's risk goes
to zero, and the IRM penalty vanishes.

The hierarchical variant gives environments different label rules
(``swap`` exchanges digits {3, 4} and {8, 9}): environments sharing a rule
form one partition for partial invariance.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from jaxlab.data.digits import load_digits_arrays

# digit -> binary label, per rule.
LABEL_RULES = {
    "lt5": np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], np.float32),
    "swap": np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 1], np.float32),
}
POOLS = ("sklearn", "mnist")


@dataclasses.dataclass(frozen=True)
class ColorEnv:
  """One environment: its colour-flip probability e, label rule and meta-info."""
  name: str
  color_flip: float
  rule: str = "lt5"
  meta: str = ""

  def __post_init__(self):
    if not 0.0 <= self.color_flip <= 1.0:
      raise ValueError(f"color_flip of {self.name!r} must be in [0, 1], got "
                       f"{self.color_flip}")
    if self.rule not in LABEL_RULES:
      raise ValueError(f"unknown label rule {self.rule!r} in {self.name!r}; "
                       f"allowed: {', '.join(LABEL_RULES)}")


def irm_envs(train=(0.1, 0.2), test=(0.9,)) -> tuple[tuple[ColorEnv, ...],
                                                      tuple[ColorEnv, ...]]:
  """The IRM Colored-MNIST environments (train e = 0.1, 0.2; test e = 0.9)."""
  make = lambda e: ColorEnv(f"e{e:g}", e)
  return tuple(map(make, train)), tuple(map(make, test))


def hierarchical_envs(train=(0.1, 0.2), test=(0.5, 0.9)
                      ) -> tuple[tuple[ColorEnv, ...], tuple[ColorEnv, ...]]:
  """Two partitions (label rules ``lt5``/``swap``), each with colour envs."""
  make = lambda r, e: ColorEnv(f"{r}_e{e:g}", e, r, meta=r)
  return (tuple(make(r, e) for r in LABEL_RULES for e in train),
          tuple(make(r, e) for r in LABEL_RULES for e in test))


def _mnist_digits(split: str, data_dir: str | None, limit: int | None):
  from jaxlab.data.tfds import load_split_arrays  # Heavy: only for real MNIST.
  arrays = load_split_arrays("mnist", split, data_dir, limit)
  # 28x28 -> 14x14 by taking every other pixel, as the IRM code does.
  images = arrays["image"].reshape(-1, 28, 28)[:, ::2, ::2]
  return images.astype(np.float32), arrays["label"].astype(np.int32)


def load_pool(pool: str = "sklearn", test_fraction: float = 0.3, seed: int = 0,
              data_dir: str | None = None, limit: int | None = None):
  """``((train_images_NxHxW, train_digits_N), (test_images, test_digits))``.

  ``sklearn``: a seeded split of the bundled 8x8 digits. ``mnist``: the tfds
  train and test splits (`limit` caps each), images 14x14.
  """
  if pool == "sklearn":
    if not 0.0 < test_fraction < 1.0:
      raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    images, digits = load_digits_arrays()
    order = np.random.default_rng(seed).permutation(len(digits))
    n_test = int(round(test_fraction * len(digits)))
    test, train = order[:n_test], order[n_test:]
    return (images[train], digits[train]), (images[test], digits[test])
  if pool == "mnist":
    return (_mnist_digits("train", data_dir, limit),
            _mnist_digits("test", data_dir, limit))
  raise ValueError(f"unknown digit pool {pool!r}; allowed: {', '.join(POOLS)}")


def colorize(images_NxHxW: np.ndarray, digits_N: np.ndarray, rule_N: np.ndarray,
             flip_N: np.ndarray, label_noise: float, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray]:
  """One draw of noisy labels and colours -> (x_Nx2xHxW, y_N)."""
  rules = np.stack(list(LABEL_RULES.values()))
  y = rules[rule_N, digits_N]
  y = np.logical_xor(y, rng.random(len(y)) < label_noise).astype(np.float32)
  colour = np.logical_xor(y, rng.random(len(y)) < flip_N).astype(np.int32)
  x = np.repeat(images_NxHxW[:, None], 2, axis=1)
  x[np.arange(len(y)), 1 - colour] = 0.0
  return x, y


class ColoredDigits:
  """A full-batch loop `DataSource` over digit images split into environments.

  The images are dealt to the environments in order, ``per_env`` each
  (default: as many as fit, rounded down to a multiple of `multiple_of` so
  the batch splits over devices). ``batch(step, rows)`` returns ``{"x":
  [N, 2, H, W], "y": [N], "env": [N]}``; with ``redraw`` the noise and
  colours are drawn from ``(seed, step)``, otherwise once from ``seed``.
  """

  def __init__(self, images_NxHxW: np.ndarray, digits_N: np.ndarray,
               envs: Sequence[ColorEnv], *, label_noise: float = 0.25,
               seed: int = 0, redraw: bool = True, per_env: int | None = None,
               multiple_of: int = 1):
    if not envs:
      raise ValueError("need at least one environment")
    if len(images_NxHxW) != len(digits_N):
      raise ValueError(f"{len(images_NxHxW)} images but {len(digits_N)} digits")
    if not 0.0 <= label_noise <= 1.0:
      raise ValueError(f"label_noise must be in [0, 1], got {label_noise}")
    fit = len(digits_N) // len(envs)
    per_env = fit if per_env is None else per_env
    per_env -= per_env % multiple_of
    if per_env <= 0 or per_env > fit:
      raise ValueError(f"{len(digits_N)} images cannot give {len(envs)} "
                       f"environments of {per_env} (multiple of {multiple_of}) "
                       f"samples each; an environment would have no samples")
    n = per_env * len(envs)
    self.envs = tuple(envs)
    self.images = np.asarray(images_NxHxW[:n], np.float32)
    self.digits = np.asarray(digits_N[:n], np.int32)
    self.env = np.repeat(np.arange(len(envs), dtype=np.int32), per_env)
    rule_index = {r: i for i, r in enumerate(LABEL_RULES)}
    self.rule = np.asarray([rule_index[e.rule] for e in envs], np.int32)[self.env]
    self.flip = np.asarray([e.color_flip for e in envs], np.float32)[self.env]
    self.label_noise = label_noise
    self.seed = seed
    self.redraw = redraw
    self.batch_size = n

  @property
  def env_names(self) -> tuple[str, ...]:
    return tuple(e.name for e in self.envs)

  def batch(self, step: int, rows: slice = slice(None)) -> dict[str, np.ndarray]:
    key = [self.seed, step] if self.redraw else [self.seed]
    # Drawn for the whole batch, then sliced: every process sees the same draw.
    x, y = colorize(self.images, self.digits, self.rule, self.flip,
                    self.label_noise, np.random.default_rng(key))
    return {"x": x[rows], "y": y[rows], "env": self.env[rows]}
