"""Small previews of image files, for galleries and hover cards: decoded with the engine's loader."""

from __future__ import annotations

import os

from lookalike.engine.images.loading import load_image
from PIL import Image


def thumbnail(path: str | os.PathLike[str], size: int) -> Image.Image:
    """An RGB preview that fits in size×size, decoded at reduced scale when the format allows it."""
    img = load_image(path, min_side=size)
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    return img
