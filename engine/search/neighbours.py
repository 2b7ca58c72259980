"""Nearest neighbours by Euclidean distance, in blocks so memory stays bounded for large N."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from lookalike.engine.folder.cpu_split import cpu_cores

BLOCK_BYTES = 32 * 1024 * 1024  # key block per thread (~2.3x that at peak): N=100k stays far below 1 GB
SAMPLE_COLUMNS = 2048  # columns sampled per row to bound its k-th smallest key


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

    def one_block(start: int) -> None:
        stop = min(start + rows, len(q))
        selfs = None if exclude_self is None else exclude_self[start:stop]
        out_i[start:stop], out_d[start:stop] = _block(q[start:stop], base, base_sq, k_eff, selfs)

    _run_blocks(one_block, range(0, len(q), rows))
    return out_i, out_d


def _run_blocks(work: Callable[[int], None], starts: range) -> None:
    """Blocks in parallel threads, BLAS single-threaded in each: NumPy's selection steps release
    the GIL but are serial, so this uses every core for them too (and BLAS threads do not fight)."""
    workers = min(cpu_cores(), len(starts))
    if workers <= 1:
        for start in starts:
            work(start)
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(work, start) for start in starts]:
            future.result()


def _block(
    q: np.ndarray, base: np.ndarray, base_sq: np.ndarray, k: int, selfs: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """One block of queries: a ranking key via one GEMM, the k smallest, then exact distances.

    The key |b|² − 2 q·b orders each row like the squared distance (|q|² is constant per row).
    """
    key = (q * np.float32(-2.0)) @ base.T
    key += base_sq
    if selfs is not None:
        key[np.arange(len(q)), selfs] = np.inf
    part = _smallest_k(key, k)
    exact = _exact_distances(q, base, part)
    order = np.lexsort((part, exact), axis=1)  # by distance, ties by row: a stable answer
    idx = np.take_along_axis(part, order, axis=1)
    dist = np.take_along_axis(exact, order, axis=1)
    return idx, dist.astype(np.float32)


def _smallest_k(key: np.ndarray, k: int) -> np.ndarray:
    """Columns of the k smallest keys per row, unordered.

    A full partition of every row costs ~6 ns per element; instead the k-th smallest key of a
    strided sample of columns bounds the row's true k-th smallest from above (a subset's k-th is
    never smaller), so one compare pass keeps a few candidates per row, exactly, and only those
    are partitioned.
    """
    n = key.shape[1]
    step = max(1, n // max(SAMPLE_COLUMNS, 4 * k))
    if step < 4:
        return np.argpartition(key, k - 1, axis=1)[:, :k] if k < n else np.argsort(key, axis=1)[:, :k]
    bound = np.partition(key[:, ::step], k - 1, axis=1)[:, k - 1 : k]
    flat = np.flatnonzero(key <= bound)
    rows, cols = np.divmod(flat, n)
    counts = np.bincount(rows, minlength=len(key))
    offset = np.arange(len(flat)) - np.repeat(np.cumsum(counts) - counts, counts)
    cand = np.full((len(key), int(counts.max())), np.inf, dtype=key.dtype)
    cand_cols = np.zeros(cand.shape, dtype=np.int64)
    cand[rows, offset] = key.ravel()[flat]
    cand_cols[rows, offset] = cols
    pick = np.argpartition(cand, k - 1, axis=1)[:, :k] if k < cand.shape[1] else np.argsort(cand, axis=1)
    return np.take_along_axis(cand_cols, pick[:, :k], axis=1)


def _exact_distances(q: np.ndarray, base: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Recompute the k chosen distances from differences: the GEMM form cancels catastrophically
    for near-duplicates (an identical image came out at ~1e-3 instead of 0)."""
    out = np.empty(part.shape, dtype=np.float64)
    q64 = q.astype(np.float64)
    for j in range(part.shape[1]):
        diff = base[part[:, j]].astype(np.float64) - q64
        out[:, j] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return out
