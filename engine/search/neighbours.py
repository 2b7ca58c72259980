"""Nearest neighbours by Euclidean distance, in blocks so memory stays bounded for large N."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from lookalike.engine.folder.cpu_split import cpu_cores
from lookalike.engine.search.distances import index_distances

BLOCK_BYTES = 32 * 1024 * 1024  # key block per thread (~2.3x that at peak): N=100k stays far below 1 GB
SAMPLE_COLUMNS = 2048  # columns sampled per row to bound its k-th smallest key
# Rows of the base widened to float64 at a time for a float64 key: a whole float64 copy of 100,000
# vectors of 1,536 numbers is 1.2 GB (evaluate peaked at 3.2 GB with it and its squared norms'
# temporary); a chunk of this many rows is 12 MB at 1,536 numbers and stays in cache for its GEMM.
WIDEN_ROWS = 1024


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
    return _blocked(vectors, k, queries, exclude_self, _block)


def ranked_rows(
    vectors: np.ndarray, k: int, queries: np.ndarray, exclude_self: np.ndarray | None = None
) -> np.ndarray:
    """The k nearest rows of each query, ordered by the ranking key in float64 (ties by row), not by
    distances recomputed from differences: for metrics that rank thousands of neighbours a query
    and need only their order (the recomputation costs queries × k × dim; float64 keeps the order
    of near-duplicates that float32's cancellation would swap)."""
    return _blocked(vectors, k, queries, exclude_self, _ranked_block, np.float64)[0]


BlockFn = Callable[
    [np.ndarray, np.ndarray, np.ndarray, int, "np.ndarray | None"], tuple[np.ndarray, np.ndarray]
]


def _blocked(
    vectors: np.ndarray,
    k: int,
    queries: np.ndarray | None,
    exclude_self: np.ndarray | None,
    block: BlockFn,
    dtype: type[np.floating] = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Queries in blocks of about BLOCK_BYTES of keys each, answered by `block`."""
    base = _base_of(vectors, dtype)
    if queries is None:
        queries = base
        if exclude_self is None:
            exclude_self = np.arange(len(base))
    q = np.ascontiguousarray(queries, dtype=dtype)
    n = len(base)
    k_eff = max(0, min(k, n - (1 if exclude_self is not None else 0)))
    out_i = np.zeros((len(q), k_eff), dtype=np.int64)
    out_d = np.zeros((len(q), k_eff), dtype=np.float32)
    if k_eff == 0 or len(q) == 0:
        return out_i, out_d
    base_sq = squared_norms(base, q.dtype)
    rows = max(1, BLOCK_BYTES // (q.itemsize * max(n, 1)))

    def one_block(start: int) -> None:
        stop = min(start + rows, len(q))
        selfs = None if exclude_self is None else exclude_self[start:stop]
        out_i[start:stop], out_d[start:stop] = block(q[start:stop], base, base_sq, k_eff, selfs)

    _run_blocks(one_block, range(0, len(q), rows))
    return out_i, out_d


def _base_of(vectors: np.ndarray, dtype: type[np.floating]) -> np.ndarray:
    """The rows searched, contiguous: in `dtype`, except that float32 rows ranked by a float64 key
    stay float32 (widened a chunk at a time in _key, never copied whole)."""
    if dtype is np.float64 and np.asarray(vectors).dtype in (np.float32, np.float64):
        return np.ascontiguousarray(vectors)
    return np.ascontiguousarray(vectors, dtype=dtype)


def squared_norms(base: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """|b|² of every row in `dtype`, a chunk at a time: `(base * base).sum(1)` makes a temporary the
    size of the base (600 MB at 100,000 vectors of 1,536 numbers, twice that widened)."""
    out = np.empty(len(base), dtype=dtype)
    for start in range(0, len(base), WIDEN_ROWS):
        chunk = base[start : start + WIDEN_ROWS].astype(dtype, copy=False)
        out[start : start + WIDEN_ROWS] = np.einsum("ij,ij->i", chunk, chunk)
    return out


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
    """One block of queries: a ranking key via one GEMM, the k smallest, then exact distances."""
    part = _smallest_k(_key(q, base, base_sq, selfs), k)
    exact = index_distances(q, np.arange(len(q))[:, None], part, base)  # not the key: it cancels
    order = np.lexsort((part, exact), axis=1)  # by distance, ties by row: a stable answer
    idx = np.take_along_axis(part, order, axis=1)
    dist = np.take_along_axis(exact, order, axis=1)
    return idx, dist.astype(np.float32)


def _ranked_block(
    q: np.ndarray, base: np.ndarray, base_sq: np.ndarray, k: int, selfs: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """One block of queries: the k smallest keys' rows, ordered by key (ties by row)."""
    key = _key(q, base, base_sq, selfs)
    part = _smallest_k(key, k)
    keys = np.take_along_axis(key, part, axis=1)
    order = np.lexsort((part, keys), axis=1)
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(keys, order, axis=1)


def _key(q: np.ndarray, base: np.ndarray, base_sq: np.ndarray, selfs: np.ndarray | None) -> np.ndarray:
    """The key |b|² − 2 q·b orders each row like the squared distance (|q|² is constant per row);
    a query's own row gets +inf. It is the blocked (Gram) form of engine.search.distances, with its
    error bound: rows tied within it may trade places at the k-th; shown distances are exact."""
    q2 = q * q.dtype.type(-2.0)
    if base.dtype == q.dtype:
        key = q2 @ base.T
    else:  # a wider key than the vectors (float64 ranking): widen the base a chunk at a time
        key = np.empty((len(q), len(base)), dtype=q.dtype)
        for start in range(0, len(base), WIDEN_ROWS):
            stop = start + WIDEN_ROWS
            np.matmul(q2, base[start:stop].astype(q.dtype).T, out=key[:, start:stop])
    key += base_sq
    if selfs is not None:
        key[np.arange(len(q)), selfs] = np.inf
    return key


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
