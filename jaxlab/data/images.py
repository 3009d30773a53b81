"""A small synthetic grayscale image with content at every scale, for
coordinate-fitting experiments (no image files needed).

Smooth background gradient, a disk with a sharp edge, a checkerboard block
and a patch of fine stripes: low, middle and high frequencies in one picture.
"""
from __future__ import annotations

import numpy as np


def synthetic_image(size: int = 48) -> np.ndarray:
  """A (size, size) float32 image with values in [0, 1]."""
  if size < 8:
    raise ValueError(f"image size must be >= 8 pixels, got {size}")
  t = (np.arange(size) + 0.5) / size
  yy, xx = np.meshgrid(t, t, indexing="ij")
  img = 0.35 + 0.3 * xx * (1 - yy)                                   # smooth gradient
  img = np.where((xx - 0.33)**2 + (yy - 0.35)**2 < 0.2**2, 0.9, img)  # disk, sharp edge
  checker = (np.floor(xx * 8) + np.floor(yy * 8)) % 2
  block = (xx > 0.6) & (yy < 0.4)
  img = np.where(block, 0.15 + 0.6 * checker, img)                    # checkerboard
  stripes = (yy > 0.62) & (xx > 0.15) & (xx < 0.85)
  img = np.where(stripes, 0.5 + 0.4 * np.sin(2 * np.pi * size / 4 * xx), img)  # period 4 px
  return img.astype(np.float32)


def coordinate_dataset(image_HxW: np.ndarray) -> dict[str, np.ndarray]:
  """Pixel centres in [-1, 1]^2 as inputs ``coords`` (H*W, 2), intensities as
  targets ``pixels`` (H*W,)."""
  h, w = image_HxW.shape
  ys, xs = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
  coords = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
  return {"coords": coords, "pixels": image_HxW.reshape(-1).astype(np.float32)}
