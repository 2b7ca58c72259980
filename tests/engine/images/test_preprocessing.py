"""fit_to_input's three resize policies and normalize's array maths, checked pixel by pixel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lookalike.engine.images.loading import load_image
from lookalike.engine.images.preprocessing import Preprocessing, fit_to_input, normalize
from PIL import Image

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def _thirds(w: int, h: int) -> Image.Image:
    """Blue | red | green vertical thirds: tells which part of the image a policy keeps."""
    img = Image.new("RGB", (w, h), RED)
    img.paste(BLUE, (0, 0, w // 3, h))
    img.paste(GREEN, (2 * w // 3, 0, w, h))
    return img


def test_letterbox_keeps_aspect_and_pads() -> None:
    prep = Preprocessing(input_size=16, resize="letterbox", pad_value=200)
    out = fit_to_input(Image.new("RGB", (40, 20), RED), prep)
    assert out.shape == (16, 16, 3)
    assert out.dtype == np.uint8
    red_rows = np.flatnonzero((out[:, 8] == RED).all(1))
    assert len(red_rows) == 8  # 40x20 scaled to 16x8, centred
    assert red_rows[0] == 4
    assert (out[:4] == 200).all()
    assert (out[12:] == 200).all()


def test_letterbox_tall_image_pads_left_and_right() -> None:
    out = fit_to_input(Image.new("RGB", (10, 30), BLUE), Preprocessing(input_size=24))
    blue_cols = np.flatnonzero((out[12] == BLUE).all(1))
    assert len(blue_cols) == 8
    assert (out[:, 0] == 255).all()


def test_center_crop_keeps_the_middle() -> None:
    out = fit_to_input(_thirds(60, 20), Preprocessing(input_size=16, resize="center-crop"))
    assert out.shape == (16, 16, 3)
    assert (out[:, 1:-1] == RED).all()


def test_squash_keeps_everything() -> None:
    out = fit_to_input(_thirds(60, 20), Preprocessing(input_size=15, resize="squash"))
    assert out.shape == (15, 15, 3)
    assert (out[:, 1] == BLUE).all()
    assert (out[:, 7] == RED).all()
    assert (out[:, 13] == GREEN).all()


@pytest.mark.parametrize("resize", ["squash", "letterbox", "center-crop"])
def test_every_policy_works_on_real_images(image_data: Path, resize: str) -> None:
    prep = Preprocessing(input_size=32, resize=resize)
    for rel in ("cards/10_of_clubs", "flags", "fashion-mnist"):
        path = sorted(p for p in (image_data / rel).rglob("*") if p.is_file())[0]
        out = fit_to_input(load_image(path, min_side=32), prep)
        assert out.shape == (32, 32, 3)
        assert out.std() > 0  # a real picture, not a blank canvas


def test_normalize_matches_the_formula() -> None:
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, (3, 5, 4, 3), dtype=np.uint8)
    prep = Preprocessing(input_size=8, mean=(0.1, 0.2, 0.3), std=(0.5, 0.25, 2.0))
    out = normalize(batch, prep)
    assert out.shape == (3, 3, 5, 4)
    assert out.dtype == np.float32
    assert out.flags["C_CONTIGUOUS"]
    for n in range(3):
        for c in range(3):
            want = (batch[n, :, :, c] / 255.0 - prep.mean[c]) / prep.std[c]
            np.testing.assert_allclose(out[n, c], want, rtol=1e-5, atol=1e-6)


def test_normalize_bgr_swaps_channels() -> None:
    rng = np.random.default_rng(1)
    batch = rng.integers(0, 256, (2, 4, 4, 3), dtype=np.uint8)
    rgb = normalize(batch, Preprocessing(input_size=8, mean=(0.5, 0.5, 0.5)))
    bgr = normalize(batch, Preprocessing(input_size=8, mean=(0.5, 0.5, 0.5), channel_order="BGR"))
    np.testing.assert_array_equal(bgr, rgb[:, ::-1])


def test_normalize_accepts_one_image_and_refuses_other_shapes() -> None:
    prep = Preprocessing(input_size=8)
    assert normalize(np.zeros((4, 4, 3), np.uint8), prep).shape == (1, 3, 4, 4)
    with pytest.raises(ValueError, match="NHWC"):
        normalize(np.zeros((2, 4, 4, 4), np.uint8), prep)
    with pytest.raises(ValueError, match="NHWC"):
        normalize(np.zeros((4, 4), np.uint8), prep)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resize": "stretch"}, "resize"),
        ({"channel_order": "GBR"}, "channel_order"),
        ({"input_size": 4}, "input_size"),
        ({"std": (1.0, 0.0, 1.0)}, "std"),
        ({"mean": (0.5, 0.5)}, "mean"),
    ],
)
def test_invalid_preprocessing_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Preprocessing(**kwargs)
