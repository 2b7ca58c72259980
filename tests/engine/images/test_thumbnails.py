"""Thumbnails from real dataset images, and a clear error for a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest
from lookalike.engine.errors import ImageLoadError
from lookalike.engine.images.thumbnails import thumbnail
from PIL import Image


def test_thumbnail_fits_and_keeps_aspect(image_data: Path) -> None:
    src = sorted((image_data / "cards" / "1_of_spades").iterdir())[0]
    with Image.open(src) as original:
        w, h = original.size
    thumb = thumbnail(src, 48)
    assert thumb.mode == "RGB"
    assert max(thumb.size) == 48
    assert abs(thumb.size[0] / thumb.size[1] - w / h) < 0.05


def test_broken_file_raises_the_engine_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ImageLoadError):
        thumbnail(bad, 32)
