"""A map of images: thumbnails drawn at their t-SNE positions into one picture per view.

The map page shows the picture beneath its points (a plotly layout image in data coordinates).
Each view, the whole map or a zoomed part, gets its own picture, so thumbnails stay readable at any
zoom: thumbnails sit in a grid of boxes, one per box, each in its point's box or the nearest free
one next to it, taken in a fixed random order, so the whole map shows a fair sample of every region
and zooming in shows the rest. Pictures are built
off the UI thread; the thumbnails they need are decoded a batch at a time, so the images appear
progressively.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from lookalike.engine.errors import CancelledError, ImageLoadError
from lookalike.engine.images.thumbnails import thumbnail
from PIL import Image

THUMB_PX = 44  # the box one thumbnail is drawn in, in picture pixels
MAX_SIDE = 2000  # the picture's longer side at most, whatever the screen
CACHE_LIMIT = 6000  # thumbnails kept decoded (about 6 KB each)
BATCH = 250  # thumbnails decoded per step before a picture is drawn


@dataclass(frozen=True)
class View:
    """The part of the map on screen, in map (t-SNE) coordinates, and its size in pixels."""

    x0: float
    x1: float
    y0: float
    y1: float
    width: int
    height: int

    def scaled(self) -> View:
        """The same view at most MAX_SIDE pixels on its longer side."""
        k = min(1.0, MAX_SIDE / max(self.width, self.height, 1))
        return View(
            self.x0, self.x1, self.y0, self.y1, max(1, round(self.width * k)), max(1, round(self.height * k))
        )


@dataclass(frozen=True)
class Placement:
    """One thumbnail's place: the map point (position in the projection) and its box's centre (pixels)."""

    pos: int
    cx: float
    cy: float


def whole_view(points: np.ndarray, width: int, height: int, margin: float = 0.05) -> View:
    """The whole map with a small margin: what the page shows before any zoom."""
    lo, hi = points.min(0).astype(float), points.max(0).astype(float)
    pad = (hi - lo) * margin + 1e-9
    x0, x1, y0, y1 = (float(v) for v in (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]))
    return View(x0, x1, y0, y1, width, height)


def drawing_order(n: int, seed: int = 0) -> np.ndarray:
    """A fixed random order: every region of the map gets its share of the first thumbnails."""
    return np.random.default_rng(seed).permutation(n)


def place_thumbnails(
    points: np.ndarray, view: View, order: np.ndarray, box: int = THUMB_PX, reach: int = 1
) -> list[Placement]:
    """One thumbnail per grid cell of `box` pixels: each point in `order` takes its own cell, or the
    free cell nearest to it within `reach` cells (a dense cluster shows several of its images
    around it, none more than `reach` boxes from its point); points inside the view only."""
    sx = view.width / max(view.x1 - view.x0, 1e-12)
    sy = view.height / max(view.y1 - view.y0, 1e-12)
    cx = (points[order, 0] - view.x0) * sx
    cy = (view.y1 - points[order, 1]) * sy  # the picture's y grows downwards
    inside = (cx >= 0) & (cx < view.width) & (cy >= 0) & (cy < view.height)
    cols, rows = -(-view.width // box), -(-view.height // box)
    steps = sorted(((i, j) for i in range(-reach, reach + 1) for j in range(-reach, reach + 1)), key=_length)
    taken: set[tuple[int, int]] = set()
    placed: list[Placement] = []
    for pos, x, y in zip(order[inside], cx[inside], cy[inside], strict=True):
        home = (int(x // box), int(y // box))
        for i, j in steps:
            cell = (home[0] + i, home[1] + j)
            if cell not in taken and 0 <= cell[0] < cols and 0 <= cell[1] < rows:
                taken.add(cell)
                placed.append(Placement(int(pos), (cell[0] + 0.5) * box, (cell[1] + 0.5) * box))
                break
    return placed


def _length(step: tuple[int, int]) -> tuple[int, int, int]:
    return (step[0] ** 2 + step[1] ** 2, step[1], step[0])  # nearest first, then a fixed order


class ThumbnailCache:
    """Small thumbnails by image row, decoded with the engine's loader; unreadable files are remembered."""

    def __init__(self, path_of: Callable[[int], str], side: int = THUMB_PX - 4) -> None:
        self.path_of, self.side = path_of, side
        self._images: OrderedDict[int, Image.Image | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, row: int) -> Image.Image | None:
        """The cached thumbnail (None: not decoded yet, or unreadable)."""
        with self._lock:
            img = self._images.get(row)
            if row in self._images:
                self._images.move_to_end(row)
            return img

    def has(self, row: int) -> bool:
        """True once the row was decoded (or found unreadable)."""
        with self._lock:
            return row in self._images

    def load(self, rows: Sequence[int], cancel: threading.Event | None = None) -> None:
        """Decode the rows not cached yet."""
        for row in rows:
            if cancel is not None and cancel.is_set():
                raise CancelledError("map images stopped")
            if self.has(row):
                continue
            try:
                img: Image.Image | None = thumbnail(self.path_of(row), self.side).convert("RGB")
            except (ImageLoadError, OSError):
                img = None
            with self._lock:
                self._images[row] = img
                while len(self._images) > CACHE_LIMIT:
                    self._images.popitem(last=False)


@dataclass(frozen=True)
class Atlas:
    """One view's picture (RGBA, transparent between thumbnails) and whether every thumbnail is in."""

    view: View
    image: Image.Image
    drawn: int
    complete: bool


def build_atlas(
    points: np.ndarray,
    rows: np.ndarray,
    view: View,
    cache: ThumbnailCache,
    cancel: threading.Event | None = None,
    batch: int = BATCH,
) -> Atlas:
    """Decode up to `batch` more of the view's thumbnails, then draw those decoded so far."""
    view = view.scaled()
    placed = place_thumbnails(points, view, drawing_order(len(points)))
    missing = [int(rows[p.pos]) for p in placed if not cache.has(int(rows[p.pos]))]
    cache.load(missing[:batch], cancel)
    canvas = Image.new("RGBA", (view.width, view.height), (0, 0, 0, 0))
    drawn = 0
    for p in placed:
        img = cache.get(int(rows[p.pos]))
        if img is not None:
            canvas.paste(img, (round(p.cx - img.width / 2), round(p.cy - img.height / 2)))
            drawn += 1
    return Atlas(view, canvas, drawn, len(missing) <= batch)
