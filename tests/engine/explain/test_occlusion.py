"""Explain a match: occlusion heat maps on constructed pairs whose shared region is known."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.errors import CancelledError
from lookalike.engine.explain.heat_overlay import overlay, side_by_side
from lookalike.engine.explain.occlusion import Explanation, explain_pair, hot_region
from lookalike.engine.images.loading import load_image
from lookalike.engine.model.bundled import default_model_path, sample_folder
from lookalike.engine.model.embedder import Embedder
from PIL import Image

SIDE, OBJECT, AT = 128, 72, (4, 8)


def _square(path: Path, side: int) -> Image.Image:
    return load_image(path).convert("RGB").resize((side, side))


def constructed_pair(obj: str, bg_a: str, bg_b: str) -> tuple[Image.Image, Image.Image, np.ndarray]:
    """Two real sample images as different backgrounds, one real sample image pasted on both."""
    samples = sample_folder()
    pick = [sorted((samples / name).iterdir()) for name in (bg_a, bg_b, obj)]
    a, b = _square(pick[0][0], SIDE), _square(pick[1][1], SIDE)
    thing = _square(pick[2][2], OBJECT)
    a.paste(thing, AT)
    b.paste(thing, AT)
    mask = np.zeros((SIDE, SIDE), dtype=bool)
    mask[AT[1] : AT[1] + OBJECT, AT[0] : AT[0] + OBJECT] = True
    return a, b, mask


def _pairs() -> list[tuple[str, str, str]]:
    names = sorted(p.name for p in sample_folder().iterdir() if p.is_dir())
    out = []
    for obj in names:
        others = [n for n in names if n != obj]
        out.append((obj, others[0], others[4]))
    return out


@pytest.fixture(scope="module")
def explained() -> list[tuple[Explanation, np.ndarray]]:
    """Every sample class pasted on two other classes' images, explained by the bundled model."""
    embedder = Embedder(default_model_path(), device="cpu")
    out = []
    for obj, bg_a, bg_b in _pairs():
        a, b, mask = constructed_pair(obj, bg_a, bg_b)
        out.append((explain_pair(embedder, a, b), mask))
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_heat_is_higher_on_the_shared_object(explained: list[tuple[Explanation, np.ndarray]]) -> None:
    """Occluding the shared object costs more distance than occluding the backgrounds, mostly."""
    maps = [(h, m) for e, m in explained for h in (e.heat_a, e.heat_b)]
    inside = [float(h[m].mean()) > float(h[~m].mean()) for h, m in maps]
    assert sum(inside) >= 0.75 * len(maps), inside


# Issue 13's goal; met since the hybrid default model (issue 18): median IoU below.
def test_hottest_region_overlaps_the_shared_object(explained: list[tuple[Explanation, np.ndarray]]) -> None:
    ious = [_iou(hot_region(h), m) for e, m in explained for h in (e.heat_a, e.heat_b)]
    print(f"median IoU {float(np.median(ious)):.2f}")
    assert float(np.median(ious)) >= 0.5, ious


def test_progress_and_cancel() -> None:
    embedder = Embedder(default_model_path(), device="cpu")
    a, b, _ = constructed_pair(*_pairs()[0])
    seen: list[tuple[int, int]] = []
    result = explain_pair(embedder, a, b, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1] > 0
    assert result.heat_a.shape == (SIDE, SIDE)
    assert np.isfinite(result.heat_b).all()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        explain_pair(embedder, a, b, cancel=cancel)


def test_overlay_blends_heat_by_opacity() -> None:
    img = Image.new("RGB", (40, 20), (255, 255, 255))
    heat = np.zeros((10, 20), dtype=np.float32)
    heat[:, 10:] = 1.0
    none, full = overlay(img, heat, 0.0), overlay(img, heat, 1.0)
    assert np.array_equal(np.asarray(none), np.asarray(img))
    arr = np.asarray(full)
    assert arr[10, 35].tolist() != [255, 255, 255]  # the hot right half is coloured
    assert arr[10, 2].tolist() == [255, 255, 255]  # the cold left half keeps the image
    assert side_by_side(none, full, height=30).size == (60 + 8 + 60, 30)
