"""Genuine (same class) and impostor (different class) pair distances of a labelled set.

All pairs when that is affordable, else a seeded sample, so calibration stays bounded at 100k.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.errors import MetricsError
from engine.retrieval_metrics import encode_labels

MAX_ALL_PAIRS = 8_000_000
SAMPLE_PAIRS = 2_000_000


@dataclass(frozen=True)
class PairDistances:
    """Distances of same-class and different-class pairs, each sorted ascending (an invariant:
    threshold look-ups are then binary searches, fast enough for a slider)."""

    genuine: np.ndarray
    impostor: np.ndarray
    sampled: bool


def pair_distances(vectors: np.ndarray, labels: Sequence[str | None], seed: int = 0) -> PairDistances:
    """Every labelled pair's distance, split by whether the two share a class."""
    codes = encode_labels(labels)
    keep = np.flatnonzero(codes >= 0)
    v, c = np.asarray(vectors, np.float32)[keep], codes[keep]
    n = len(keep)
    if n < 2 or len(np.unique(c)) < 2:
        raise MetricsError("pair statistics need labelled images from at least 2 classes")
    if n * (n - 1) // 2 <= MAX_ALL_PAIRS:
        genuine, impostor = _all_pairs(v, c)
        sampled = False
    else:
        genuine, impostor = _sampled_pairs(v, c, np.random.default_rng(seed))
        sampled = True
    if len(genuine) == 0:
        raise MetricsError("no class has two images, so there are no genuine pairs")
    return PairDistances(np.sort(genuine), np.sort(impostor), sampled)


def _all_pairs(v: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sq = (v * v).sum(1)
    gen: list[np.ndarray] = []
    imp: list[np.ndarray] = []
    rows = max(1, 4_000_000 // len(v))
    for start in range(0, len(v) - 1, rows):
        stop = min(start + rows, len(v) - 1)
        d = np.sqrt(np.maximum(sq[start:stop, None] + sq[None, :] - 2 * v[start:stop] @ v.T, 0))
        i, j = np.triu_indices(stop - start, k=1, m=len(v) - start)
        i_abs, j_abs = i + start, j + start
        dist = d[i, j_abs]
        same = c[i_abs] == c[j_abs]
        gen.append(dist[same])
        imp.append(dist[~same])
    return np.concatenate(gen).astype(np.float32), np.concatenate(imp).astype(np.float32)


def _sampled_pairs(v: np.ndarray, c: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    i = rng.integers(0, len(v), SAMPLE_PAIRS)
    j = rng.integers(0, len(v), SAMPLE_PAIRS)
    ok = i != j
    i, j = i[ok], j[ok]
    imp_mask = c[i] != c[j]
    gi, gj = _sample_same_class(c, rng)
    imp = np.linalg.norm(v[i[imp_mask]] - v[j[imp_mask]], axis=1)
    gen = np.linalg.norm(v[gi] - v[gj], axis=1)
    return gen.astype(np.float32), imp.astype(np.float32)


def _sample_same_class(c: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random same-class pairs, drawn class by class in proportion to their pair counts."""
    order = np.argsort(c, kind="stable")
    sorted_c = c[order]
    starts = np.flatnonzero(np.r_[True, sorted_c[1:] != sorted_c[:-1]])
    sizes = np.diff(np.r_[starts, len(c)])
    weights = sizes * (sizes - 1.0)
    if weights.sum() == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cls = rng.choice(len(sizes), SAMPLE_PAIRS // 2, p=weights / weights.sum())
    a = rng.integers(0, sizes[cls])
    b = (a + rng.integers(1, np.maximum(sizes[cls], 2))) % sizes[cls]
    return order[starts[cls] + a], order[starts[cls] + b]
