"""Is it the same picture? A pixel-level check that backs the embedding for duplicates.

The embedding is trained to say "same class": it is made blind to exactly what tells two drawings
of one class apart, so on its own it groups different pictures of a class as duplicates. A tiny
colour thumbnail (8×8 box average, zero mean, unit length) survives resizing, re-encoding and
slight colour changes but not a different drawing; a pair is a duplicate only when both agree.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from lookalike.engine.errors import ImageLoadError
from lookalike.engine.images.loading import load_prepared
from PIL import Image

SIDE = 8
MIN_SIDE = 64  # decode (JPEG draft) no larger than needed for an 8×8 average


def picture_descriptor(img: Image.Image) -> np.ndarray:
    """192 numbers that change little under resize, JPEG and colour drift, and a lot between drawings."""
    small = img.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BOX, reducing_gap=2.0)
    v = np.asarray(small, np.float32).ravel()
    v -= v.mean()
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def file_descriptors(paths: Sequence[str | os.PathLike[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Descriptors of image files, and which could be read (an unreadable file matches nothing)."""
    out = np.zeros((len(paths), SIDE * SIDE * 3), np.float32)
    ok = np.zeros(len(paths), bool)
    for k, path in enumerate(paths):
        try:
            out[k] = load_prepared(path, picture_descriptor, MIN_SIDE)
            ok[k] = True
        except (ImageLoadError, OSError, ValueError):
            continue
    return out, ok


def picture_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Euclidean distances between descriptors (both unit length: 0 to 2)."""
    return np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64), axis=1)
