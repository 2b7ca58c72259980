"""Pair distances of a folder: every pair's, and the genuine (same class) / impostor (different
class) split of its labelled pairs, measured in one pass. The one sampling policy lives here:
all pairs when that is affordable, else a seeded sample, so calibration stays bounded at 100k.
All pairs are measured by the blocked (Gram) path and sampled pairs exactly, both from
engine.search.distances, a small block per numpy call: the GUI runs this in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lookalike.engine.errors import MetricsError
from lookalike.engine.metrics.retrieval import encode_labels
from lookalike.engine.search.distances import index_distances, triangle_blocks

MAX_ALL_PAIRS = 8_000_000
SAMPLE_PAIRS = 2_000_000


@dataclass(frozen=True)
class PairDistances:
    """Distances of same-class and different-class pairs, each sorted ascending (an invariant:
    threshold look-ups are then binary searches, fast enough for a slider)."""

    genuine: np.ndarray
    impostor: np.ndarray
    sampled: bool
    # How many genuine / impostor pairs the folder really has, when the arrays are samples drawn
    # at different rates (genuine pairs on purpose); 0 when the arrays are every pair.
    genuine_total: int = 0
    impostor_total: int = 0


@dataclass(frozen=True)
class MeasuredPairs:
    """One pass over a folder's pairs: every distance (unsorted, row-major when not sampled) and,
    when the labels allow it, the genuine/impostor split of the labelled pairs among them."""

    distances: np.ndarray
    n_pairs: int
    sampled: bool
    labelled: PairDistances | None


def measure_pairs(vectors: np.ndarray, labels: Sequence[str | None], seed: int = 0) -> MeasuredPairs:
    """Every pair's distance (or a seeded sample), labelled pairs split by class, computed once."""
    v = np.asarray(vectors, np.float32)
    codes = encode_labels(labels)
    n = len(v)
    n_pairs = n * (n - 1) // 2
    sampled = n_pairs > MAX_ALL_PAIRS
    if sampled:
        dist, genuine, impostor = _sampled_pairs(v, codes, np.random.default_rng(seed))
    else:
        dist, genuine, impostor = _all_pairs(v, codes)
    usable = len(genuine) > 0 and len(np.unique(codes[codes >= 0])) >= 2
    totals = population_counts(codes) if sampled else (0, 0)
    labelled = PairDistances(np.sort(genuine), np.sort(impostor), sampled, *totals) if usable else None
    return MeasuredPairs(dist, n_pairs, sampled, labelled)


def population_counts(codes: np.ndarray) -> tuple[int, int]:
    """(genuine, impostor) pairs among the labelled images: what sampled pairs stand for."""
    sizes = np.bincount(codes[codes >= 0]).astype(np.int64)
    labelled = int(sizes.sum())
    genuine = int((sizes * (sizes - 1) // 2).sum())
    return genuine, labelled * (labelled - 1) // 2 - genuine


def pair_distances(vectors: np.ndarray, labels: Sequence[str | None], seed: int = 0) -> PairDistances:
    """Every labelled pair's distance, split by whether the two share a class."""
    codes = encode_labels(labels)
    keep = np.flatnonzero(codes >= 0)
    if len(keep) < 2 or len(np.unique(codes[keep])) < 2:
        raise MetricsError("pair statistics need labelled images from at least 2 classes")
    measured = measure_pairs(np.asarray(vectors)[keep], [labels[int(i)] for i in keep], seed)
    if measured.labelled is None:
        raise MetricsError("no class has two images, so there are no genuine pairs")
    return measured.labelled


def _all_pairs(v: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(all, genuine, impostor) distances; unlabelled images (code -1) are in `all` only."""
    every: list[np.ndarray] = []
    gen: list[np.ndarray] = []
    imp: list[np.ndarray] = []
    for start, upper, d in triangle_blocks(v):
        rows, cols = c[start : start + len(d), None], c[None, start:]
        labelled = upper & (rows >= 0) & (cols >= 0)
        same = rows == cols
        every.append(d[upper])
        gen.append(d[labelled & same])
        imp.append(d[labelled & ~same])
    return _joined(every), _joined(gen), _joined(imp)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)


def _sampled_pairs(
    v: np.ndarray, c: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A uniform sample of pairs (their impostors are the impostor sample), plus same-class pairs
    drawn on purpose: uniform sampling would find too few of them."""
    i = rng.integers(0, len(v), SAMPLE_PAIRS)
    j = rng.integers(0, len(v), SAMPLE_PAIRS)
    ok = i != j
    i, j = i[ok], j[ok]
    dist = index_distances(v, i, j).astype(np.float32)
    impostor = dist[(c[i] >= 0) & (c[j] >= 0) & (c[i] != c[j])]
    gi, gj = _sample_same_class(c, rng)
    return dist, index_distances(v, gi, gj).astype(np.float32), impostor


def _sample_same_class(c: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random same-class pairs of labelled images, drawn class by class in proportion to their pair counts."""
    labelled = np.flatnonzero(c >= 0)
    order = labelled[np.argsort(c[labelled], kind="stable")]
    sorted_c = c[order]
    if len(order) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_c[1:] != sorted_c[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    weights = sizes * (sizes - 1.0)
    if weights.sum() == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cls = rng.choice(len(sizes), SAMPLE_PAIRS // 2, p=weights / weights.sum())
    a = rng.integers(0, sizes[cls])
    b = (a + rng.integers(1, np.maximum(sizes[cls], 2))) % sizes[cls]
    return order[starts[cls] + a], order[starts[cls] + b]
