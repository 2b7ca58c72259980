"""Colours of a linked map's points: by distance to one image, or by match / no match at a threshold.

Plain numbers and colours the app builds itself: the page receives nothing else (no names).
"""

from __future__ import annotations

import numpy as np

MATCH_COLOUR = "#1a9850"
NO_MATCH_COLOUR = "#bdbdbd"
QUERY_COLOUR = "#e6194b"


def distances_to(vectors: np.ndarray, row: int) -> np.ndarray:
    """Euclidean distance of every row to one row (float64, the query itself at 0)."""
    v = np.asarray(vectors, np.float64)
    return np.sqrt(np.maximum(((v - v[row]) ** 2).sum(1), 0.0))


def match_colours(vectors: np.ndarray, row: int, threshold: float) -> list[str]:
    """One colour per row: match (closer than the threshold), no match, or the query itself."""
    dist = distances_to(vectors, row)
    colours = np.where(dist < threshold, MATCH_COLOUR, NO_MATCH_COLOUR).astype(object)
    colours[row] = QUERY_COLOUR
    return [str(c) for c in colours]
