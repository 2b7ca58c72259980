"""Near-copies of a picture, as a user's folder holds them: resized, re-encoded, cropped a little.

The duplicate threshold means "the same picture", so it is calibrated on these against different
pictures (of the same class and of others); the same recipe plants copies in tests and benchmarks.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance


@dataclass(frozen=True)
class CopyRecipe:
    """How far a near-copy may drift from its original (ranges drawn uniformly per copy)."""

    scale: tuple[float, float] = (0.5, 0.9)  # each side, of the original's
    jpeg_quality: tuple[int, int] = (60, 90)
    max_crop: float = 0.05  # share of the area cut from the edges
    max_colour: float = 0.05  # brightness, contrast and saturation change, either way


DEFAULT_RECIPE = CopyRecipe()


def near_copy(img: Image.Image, rng: np.random.Generator, recipe: CopyRecipe = DEFAULT_RECIPE) -> Image.Image:
    """One near-copy of `img` (RGB): cropped, recoloured, resized, then saved as JPEG and decoded."""
    out = _crop(img.convert("RGB"), rng, recipe.max_crop)
    for enhancer in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
        out = enhancer(out).enhance(1.0 + rng.uniform(-recipe.max_colour, recipe.max_colour))
    s = rng.uniform(*recipe.scale)
    size = (max(1, round(out.width * s)), max(1, round(out.height * s)))
    out = out.resize(size, Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    out.save(
        buf, format="JPEG", quality=int(rng.integers(recipe.jpeg_quality[0], recipe.jpeg_quality[1] + 1))
    )
    buf.seek(0)
    with Image.open(buf) as decoded:
        return decoded.convert("RGB")


def _crop(img: Image.Image, rng: np.random.Generator, max_crop: float) -> Image.Image:
    """Cut up to `max_crop` of the area from the edges, split at random between the four sides."""
    keep = np.sqrt(1.0 - rng.uniform(0.0, max_crop))  # per side, so the kept area is keep**2
    w, h = img.size
    cw, ch = w - round(w * keep), h - round(h * keep)
    left, top = int(rng.integers(0, cw + 1)), int(rng.integers(0, ch + 1))
    return img.crop((left, top, w - (cw - left), h - (ch - top)))
