"""Pair distances of a folder: every pair's, and the genuine (same class) / impostor (different
class) split of its labelled pairs, measured in one pass: all pairs when that is affordable, else
a seeded sample, so calibration stays bounded at 100k (the limits: engine.metrics.sampling).
All pairs and sampled pairs (random row x column blocks) are measured by the blocked (Gram) path of
engine.search.distances, a small block per numpy call: the GUI runs this in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lookalike.engine.errors import MetricsError
from lookalike.engine.metrics.retrieval import encode_labels
from lookalike.engine.metrics.sampling import MAX_ALL_PAIRS, SAMPLE_BLOCKS, SAMPLE_PAIRS
from lookalike.engine.search.distances import block_distances, triangle_blocks


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
    if len(keep) == len(codes):  # every image labelled: no copy (600 MB at 100,000 x 1,536 numbers)
        measured = measure_pairs(vectors, labels, seed)
    else:
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
    drawn on purpose: uniform sampling would find too few of them.

    Each sample is a random block, rows x columns drawn without replacement, measured by one matrix
    product per few rows: every pair in it is a uniformly drawn pair, as before, but gathering two
    million random (row, row) pairs of 1,536 numbers took ~9 s where the blocks take well under one.
    """
    i, j, dist = _block_sample(v, np.arange(len(v)), SAMPLE_PAIRS, rng)
    impostor = dist[(c[i] >= 0) & (c[j] >= 0) & (c[i] != c[j])]
    return dist, _same_class_sample(v, c, rng), impostor


def _block_sample(
    v: np.ndarray, pool: np.ndarray, n_pairs: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, distance) of the off-diagonal cells of random pool x pool blocks, ~n_pairs cells in
    all: SAMPLE_BLOCKS blocks where the pool is big enough, so the sample spans many rows."""
    side = int(np.ceil(np.sqrt(n_pairs / SAMPLE_BLOCKS))) + 1
    blocks = SAMPLE_BLOCKS if len(pool) >= 2 * side else 1
    side = min(len(pool), side if blocks > 1 else int(np.ceil(np.sqrt(n_pairs))) + 1)
    parts = []
    for _ in range(blocks):
        rows, cols = rng.choice(pool, side, replace=False), rng.choice(pool, side, replace=False)
        d = block_distances(v[rows], v[cols])
        i, j = np.meshgrid(rows.astype(np.int32), cols.astype(np.int32), indexing="ij")
        keep = i != j
        parts.append((i[keep], j[keep], d[keep].astype(np.float32)))
    return tuple(np.concatenate(p) for p in zip(*parts, strict=True))  # type: ignore[return-value]


def _same_class_sample(v: np.ndarray, c: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Distances of random same-class pairs, SAMPLE_PAIRS // 4 in all, each class's share in
    proportion to its pair count: a block per class, its cells drawn (with replacement) to the share."""
    sizes = np.bincount(c[c >= 0]) if (c >= 0).any() else np.zeros(0, np.int64)
    weights = sizes * (sizes - 1.0)
    if weights.sum() == 0:
        return np.zeros(0, np.float32)
    shares = rng.multinomial(SAMPLE_PAIRS // 4, weights / weights.sum())
    parts = []
    for cls in np.flatnonzero(shares):
        _, _, d = _block_sample(v, np.flatnonzero(c == cls), int(shares[cls]), rng)
        parts.append(d[rng.integers(0, len(d), shares[cls])])
    return np.concatenate(parts)
