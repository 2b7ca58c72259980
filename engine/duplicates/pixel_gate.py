"""The cheap gate before the picture check: compare the small picture the embedding already holds.

The hybrid embedder's embedding starts with the picture itself, shrunk to 16×16 (the manifest's
"pixels" part). A near-copy keeps that thumbnail almost unchanged, so a candidate pair whose
thumbnails differ by more than any calibration copy's did is not read from disk at all: in a big
folder most candidates are different pictures of one class, and reading and aligning them was
most of a duplicate listing's time. The threshold is calibrated at export beside the other two
(engine.duplicates.calibration): past every calibration copy's distance, with a margin, so it
finds no fewer copies there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 8_192  # pairs compared per numpy pass: 3 arrays of 25 MB (float32 rows of 768 numbers)


@dataclass(frozen=True)
class PixelGate:
    """The embedding's picture part [start, stop) and the distance (between the part's unit
    vectors) below which a pair goes on to the picture check."""

    start: int
    stop: int
    threshold: float

    def distances(self, vectors: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Distance of each pair's picture parts, each part scaled to unit length first (the whole
        embedding's normalisation scales every part alike, so the part alone is compared)."""
        out = np.empty(len(i), np.float32)
        for a in range(0, len(i), CHUNK):
            x = _unit(vectors[i[a : a + CHUNK], self.start : self.stop])
            y = _unit(vectors[j[a : a + CHUNK], self.start : self.stop])
            out[a : a + CHUNK] = np.linalg.norm(x - y, axis=1)
        return out

    def passes(self, vectors: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Which pairs (i[k], j[k]) are close enough to be worth the picture check."""
        return self.distances(vectors, i, j) < self.threshold


@dataclass(frozen=True)
class PictureCheck:
    """What a candidate pair must pass besides the embedding threshold to be "the same picture":
    the picture check's threshold, and the pixel gate before it where the model has one."""

    threshold: float
    gate: PixelGate | None = None


def _unit(rows: np.ndarray) -> np.ndarray:
    x = np.asarray(rows, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
