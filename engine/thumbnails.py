"""Small previews of image files, for galleries and hover cards: decoded with the engine's loader."""

from __future__ import annotations

import base64
import io
import os

from PIL import Image

from lookalike.engine.image_loading import load_image


def thumbnail(path: str | os.PathLike[str], size: int) -> Image.Image:
    """An RGB preview that fits in size×size, decoded at reduced scale when the format allows it."""
    img = load_image(path, min_side=size)
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    return img


def thumbnail_png(path: str | os.PathLike[str], size: int) -> bytes:
    """The preview as PNG bytes, for anything that wants an encoded image rather than pixels."""
    buf = io.BytesIO()
    thumbnail(path, size).save(buf, format="PNG")
    return buf.getvalue()


def thumbnail_data_uri(path: str | os.PathLike[str], size: int) -> str:
    """The preview as a data: URI, so a web page can show it without reading any file itself."""
    return "data:image/png;base64," + base64.b64encode(thumbnail_png(path, size)).decode("ascii")
