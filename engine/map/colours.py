"""Colours of a linked map's points: by distance to one image, or by match / no match at a threshold.

Plain numbers and colours the app builds itself: the page receives nothing else (no names).
"""

from __future__ import annotations

import colorsys

import numpy as np
from lookalike.engine.search.distances import distances_to

MATCH_COLOUR = "#1a9850"
NO_MATCH_COLOUR = "#bdbdbd"
QUERY_COLOUR = "#e6194b"


def match_colours(vectors: np.ndarray, row: int, threshold: float) -> list[str]:
    """One colour per row: match (closer than the threshold), no match, or the query itself."""
    dist = distances_to(vectors, np.asarray(vectors)[row])
    colours = np.where(dist < threshold, MATCH_COLOUR, NO_MATCH_COLOUR).astype(object)
    colours[row] = QUERY_COLOUR
    return [str(c) for c in colours]


GOLDEN = 0.6180339887498949  # hue step: consecutive classes land far apart on the colour wheel


def class_colours(n: int) -> list[str]:
    """n distinct colours for n classes: hues a golden-ratio step apart, in three lightness and
    saturation bands, so even hundreds of classes do not repeat a colour (a 10-hue cycle would)."""
    out = []
    for i in range(n):
        hue = (i * GOLDEN) % 1.0
        light, sat = ((0.45, 0.75), (0.62, 0.85), (0.33, 0.65))[i % 3]
        r, g, b = colorsys.hls_to_rgb(hue, light, sat)
        out.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return out


def cluster_colours(vectors: np.ndarray, n_clusters: int | None = None, seed: int = 0) -> list[str]:
    """One colour per row: its k-means cluster of the embeddings. Works the same at 5 or 755 classes,
    and on folders without classes; k grows with the square root of the folder (at most 16)."""
    from sklearn.cluster import MiniBatchKMeans

    n = len(vectors)
    k = n_clusters or int(min(16, max(2, round(np.sqrt(n / 10)))))
    k = max(1, min(k, n))
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=1024)
    assigned = model.fit_predict(np.asarray(vectors, np.float32))
    palette = class_colours(k)
    return [palette[int(c)] for c in assigned]
