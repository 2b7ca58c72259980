"""Nearest neighbours by Euclidean distance, in blocks so memory stays bounded for large N."""

from __future__ import annotations

import numpy as np

BLOCK_BYTES = 64 * 1024 * 1024  # distance block budget: N=100k stays far below 1 GB


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings (the manifest's distance)."""
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))


def pairwise_distances(vectors: np.ndarray) -> np.ndarray:
    """Full distance matrix for a small selection (the GUI's heat map); not for large N."""
    v = np.asarray(vectors, dtype=np.float64)
    sq = (v * v).sum(1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * v @ v.T
    np.fill_diagonal(d2, 0.0)
    return np.sqrt(np.maximum(d2, 0.0))


def knn(
    vectors: np.ndarray,
    k: int,
    queries: np.ndarray | None = None,
    exclude_self: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """k nearest rows of `vectors` for each query (all rows if None), best first.

    `exclude_self[i]` is the row of `vectors` that query i is (dropped from its own answer).
    Returns (indices, distances), each (n_queries, k') with k' = min(k, available).
    """
    base = np.ascontiguousarray(vectors, dtype=np.float32)
    if queries is None:
        queries = base
        if exclude_self is None:
            exclude_self = np.arange(len(base))
    q = np.ascontiguousarray(queries, dtype=np.float32)
    n = len(base)
    k_eff = max(0, min(k, n - (1 if exclude_self is not None else 0)))
    out_i = np.zeros((len(q), k_eff), dtype=np.int64)
    out_d = np.zeros((len(q), k_eff), dtype=np.float32)
    if k_eff == 0 or len(q) == 0:
        return out_i, out_d
    base_sq = (base * base).sum(1)
    rows = max(1, BLOCK_BYTES // (4 * max(n, 1)))
    for start in range(0, len(q), rows):
        stop = min(start + rows, len(q))
        selfs = None if exclude_self is None else exclude_self[start:stop]
        out_i[start:stop], out_d[start:stop] = _block(q[start:stop], base, base_sq, k_eff, selfs)
    return out_i, out_d


def _block(
    q: np.ndarray, base: np.ndarray, base_sq: np.ndarray, k: int, selfs: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """One block of queries: squared distances via one GEMM, then partial sort of k."""
    d2 = base_sq[None, :] - 2.0 * (q @ base.T)
    d2 += (q * q).sum(1)[:, None]
    if selfs is not None:
        d2[np.arange(len(q)), selfs] = np.inf
    part = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < d2.shape[1] else np.argsort(d2, 1)[:, :k]
    exact = _exact_distances(q, base, part)
    order = np.lexsort((part, exact), axis=1)  # by distance, ties by row: a stable answer
    idx = np.take_along_axis(part, order, axis=1)
    dist = np.take_along_axis(exact, order, axis=1)
    return idx, dist.astype(np.float32)


def _exact_distances(q: np.ndarray, base: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Recompute the k chosen distances from differences: the GEMM form cancels catastrophically
    for near-duplicates (an identical image came out at ~1e-3 instead of 0)."""
    out = np.empty(part.shape, dtype=np.float64)
    q64 = q.astype(np.float64)
    for j in range(part.shape[1]):
        diff = base[part[:, j]].astype(np.float64) - q64
        out[:, j] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return out
