"""Explain a match: which regions of each image hold the two embeddings together (occlusion).

Slide a patch of the image's mean colour over one image, re-embed every occluded copy in batches
and measure how much the distance to the other image grows; a region whose loss pushes the pair
apart is one the match rests on (Zeiler & Fergus 2014). Runs on the ONNX model, so it explains
exactly the model the app uses; progress and cancel as every long engine job.

The pair's distance is compare's: both whole images are embedded at full resolution (load them with
image_query.load_query_image) and measured with search.distances.distance. Only the occluded copies
work at the smaller working resolution, each measured against the other image's full embedding.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from lookalike.engine.errors import CancelledError
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.search.distances import distance, distances_to
from PIL import Image

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class OcclusionSettings:
    """Working resolution (longer side, px), patch side and stride as fractions of it, batch size."""

    work_side: int = 128
    patch: float = 0.375
    stride: float = 0.0625
    batch: int = 32


@dataclass(frozen=True)
class Explanation:
    """Distance of the pair and, per image, a heat map (working resolution) of distance gained."""

    distance: float
    heat_a: np.ndarray
    heat_b: np.ndarray


def explain_pair(
    embedder: Embedder,
    img_a: Image.Image,
    img_b: Image.Image,
    settings: OcclusionSettings = OcclusionSettings(),
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Explanation:
    """Occlusion heat maps for both images of a pair (A occluded against B, and B against A)."""
    vec_a, vec_b = embedder.embed_image(img_a), embedder.embed_image(img_b)
    work_a, work_b = _working(img_a, settings), _working(img_b, settings)
    total = 2 * len(_windows(work_a.size, settings)) if progress else 0
    done = [0]

    def step(n: int) -> None:
        if cancel is not None and cancel.is_set():
            raise CancelledError("explanation stopped")
        done[0] += n
        if progress is not None:
            progress(done[0], total)

    heat_a = _heat(embedder, work_a, vec_b, settings, step)
    heat_b = _heat(embedder, work_b, vec_a, settings, step)
    return Explanation(distance(vec_a, vec_b), heat_a, heat_b)


def _working(img: Image.Image, settings: OcclusionSettings) -> Image.Image:
    """The image at the working resolution (aspect kept), RGB."""
    w, h = img.size
    scale = settings.work_side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return img.convert("RGB").resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _windows(size: tuple[int, int], settings: OcclusionSettings) -> list[tuple[int, int, int, int]]:
    """Patch boxes (x0, y0, x1, y1) covering the image, the last row/column flush with the edge."""
    w, h = size
    side = max(2, round(settings.patch * settings.work_side))
    stride = max(1, round(settings.stride * settings.work_side))
    xs = _starts(w, min(side, w), stride)
    ys = _starts(h, min(side, h), stride)
    return [(x, y, x + min(side, w), y + min(side, h)) for y in ys for x in xs]


def _starts(length: int, side: int, stride: int) -> list[int]:
    starts = list(range(0, length - side + 1, stride))
    if starts[-1] != length - side:
        starts.append(length - side)
    return starts


def _heat(
    embedder: Embedder,
    img: Image.Image,
    other: np.ndarray,
    settings: OcclusionSettings,
    step: Callable[[int], None],
) -> np.ndarray:
    """Mean distance gained over the patches covering each pixel (negative: occluding helps)."""
    base = distance(embedder.embed_image(img), other)  # unoccluded, same working size
    pixels = np.asarray(img, dtype=np.uint8)
    fill = pixels.reshape(-1, 3).mean(axis=0).astype(np.uint8)
    boxes = _windows(img.size, settings)
    total = np.zeros(pixels.shape[:2], dtype=np.float64)
    count = np.zeros(pixels.shape[:2], dtype=np.float64)
    for chunk in _chunks(boxes, settings.batch):
        batch = np.stack([embedder.prepare(Image.fromarray(_occlude(pixels, b, fill))) for b in chunk])
        gains = distances_to(embedder.embed_batch(batch), other) - base
        for (x0, y0, x1, y1), gain in zip(chunk, gains, strict=True):
            total[y0:y1, x0:x1] += gain
            count[y0:y1, x0:x1] += 1
        step(len(chunk))
    return (total / np.maximum(count, 1)).astype(np.float32)


def _occlude(pixels: np.ndarray, box: tuple[int, int, int, int], fill: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = box
    out = pixels.copy()
    out[y0:y1, x0:x1] = fill
    return out


def _chunks(items: list[tuple[int, int, int, int]], n: int) -> Iterator[list[tuple[int, int, int, int]]]:
    for i in range(0, len(items), max(1, n)):
        yield items[i : i + n]


def hot_region(heat: np.ndarray, fraction: float = 0.5) -> np.ndarray:
    """The pixels whose gain is at least `fraction` of the largest: where the match rests."""
    peak = float(heat.max())
    if peak <= 0:
        return np.zeros(heat.shape, dtype=bool)
    return np.asarray(heat >= fraction * peak)


def hot_box(heat: np.ndarray, fraction: float = 0.5) -> tuple[float, float, float, float] | None:
    """Bounding box of the hot region as fractions of width/height (x0, y0, x1, y1), or None."""
    ys, xs = np.nonzero(hot_region(heat, fraction))
    if len(xs) == 0:
        return None
    h, w = heat.shape
    return (xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h)
