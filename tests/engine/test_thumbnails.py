"""Thumbnails from real dataset images, and a clear error for a broken file."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from lookalike.engine.errors import ImageLoadError
from lookalike.engine.thumbnails import thumbnail, thumbnail_data_uri


def test_thumbnail_fits_and_keeps_aspect(image_data: Path) -> None:
    src = sorted((image_data / "cards" / "1_of_spades").iterdir())[0]
    with Image.open(src) as original:
        w, h = original.size
    thumb = thumbnail(src, 48)
    assert thumb.mode == "RGB"
    assert max(thumb.size) == 48
    assert abs(thumb.size[0] / thumb.size[1] - w / h) < 0.05


def test_data_uri_decodes_to_the_thumbnail(image_data: Path) -> None:
    src = sorted((image_data / "flags").iterdir())[0]
    src = sorted(src.iterdir())[0]
    uri = thumbnail_data_uri(src, 32)
    assert uri.startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as img:
        assert img.size == thumbnail(src, 32).size


def test_broken_file_raises_the_engine_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ImageLoadError):
        thumbnail(bad, 32)
