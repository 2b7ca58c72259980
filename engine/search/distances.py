"""Euclidean distances between embeddings: every pair distance the engine computes comes from here.

Two paths, each used where its trade-off is the right one:

* Exact: sqrt(sum((a - b)**2)) from float64 differences. Relative error about D * 2**-53 at
  every distance, 0 for identical rows. Used wherever a distance is shown or decides a single
  pair: compare, the neighbours list, the heat map and matrix export, the map's colours, duplicate
  pairs, occlusion heat maps, the CLI; also for sampled pairs, which share no matrix product. A
  few pairs at a time (BLOCK_ELEMENTS), so index pairs by the million never build a (pairs x dim)
  temporary.
* Blocked (Gram): d**2 = |a|**2 + |b|**2 - 2 a.b, one matrix product per block of rows, in the
  vectors' own dtype. Many times faster, used where distances are only counted or compared with a
  threshold: threshold summaries and histograms (their sampled pairs too, drawn as row x column
  blocks: block_distances), duplicate calibration, duplicate candidates (which are then measured
  exactly). knn (engine.search.neighbours) ranks by the same product and measures
  the rows it keeps exactly.

The blocked path's error bound, stated once. With unit roundoff u (2**-24 for float32, 2**-53 for
float64), D dimensions and rows of norm at most r, each of |a|**2, |b|**2 and a.b is off by at
most about D * u * r**2 whatever the summation order, so d**2 is off by at most

    delta = (4 D + 8) * u * r**2                                  (gram_error)

and d = sqrt(d**2) by at most min(sqrt(delta), delta / d): absolute error is worst for small d.
For the bundled model's float32 unit embeddings (D = 1536) delta = 3.7e-4, so an identical pair
may read up to 0.019 and a pair at 0.75 is within 5e-4. Measured errors are far smaller (about
1e-6 in d**2: 1.4e-3 seen on near-duplicates, 2e-7 above d = 0.5), but the bound, not the
measurement, sets the margin for candidates (gram_reach). In float64, delta = 6.8e-13 at D = 1536.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike

# Elements per numpy call (~1-2 MB): a millisecond or so, so a worker thread holding the GIL for
# one call never stalls the UI thread for long.
BLOCK_ELEMENTS = 262_144


def gram_error(vectors: np.ndarray) -> float:
    """The bound delta on |blocked d**2 - exact d**2| for these vectors (module docstring)."""
    v = np.asarray(vectors)
    unit_roundoff = float(np.finfo(v.dtype if v.dtype.kind == "f" else np.float64).eps) / 2
    norm2 = float(np.einsum("ij,ij->i", v, v, dtype=np.float64).max(initial=0.0))
    return (4 * v.shape[1] + 8) * unit_roundoff * max(norm2, 1.0)


def gram_reach(threshold: float, vectors: np.ndarray) -> float:
    """A cut on blocked distances that keeps every pair whose exact distance is below `threshold`:
    exact d < t gives blocked d**2 < t**2 + delta; the factor covers sqrt's and the cut's rounding."""
    eps = float(np.finfo(np.asarray(vectors).dtype).eps)
    return float(np.sqrt(threshold * threshold + gram_error(vectors))) * (1.0 + 4.0 * eps)


def triangle_blocks(vectors: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Blocked distances of the upper triangle (i < j), a few rows at a time, in the vectors' dtype.

    Yields (first row, mask of the i < j cells, distances of rows first.. to columns first..);
    `dist[mask]` lists the block's pairs in row-major order, as np.triu_indices would.
    """
    v = np.asarray(vectors)
    n = len(v)
    sq = (v * v).sum(1)
    rows = max(1, BLOCK_ELEMENTS // max(n, 1))
    for start in range(0, n - 1, rows):
        stop = min(start + rows, n - 1)
        d2 = sq[start:stop, None] + sq[None, start:] - 2.0 * (v[start:stop] @ v[start:].T)
        upper = np.arange(start, n)[None, :] > np.arange(start, stop)[:, None]
        yield start, upper, np.sqrt(np.maximum(d2, 0.0))


def triangle_distances(vectors: np.ndarray) -> np.ndarray:
    """Blocked distances of every pair i < j, row-major (np.triu_indices' order), for counting."""
    parts = [d[upper] for _, upper, d in triangle_blocks(vectors)]
    return np.concatenate(parts) if parts else np.zeros(0, np.asarray(vectors).dtype)


def block_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Blocked distances of every row of `a` to every row of `b` (a len(a) x len(b) matrix), a few
    rows of `a` per matrix product, in the vectors' own dtype: for sampled pairs that are counted."""
    a, b = np.asarray(a), np.asarray(b)
    out = np.empty((len(a), len(b)), np.result_type(a, b))
    sq_b = (b * b).sum(1)
    rows = max(1, BLOCK_ELEMENTS // max(len(b), 1))
    for start in range(0, len(a), rows):
        part = a[start : start + rows]
        d2 = (part * part).sum(1)[:, None] + sq_b[None] - 2.0 * (part @ b.T)
        out[start : start + rows] = np.sqrt(np.maximum(d2, 0.0))
    return out


def index_distances(
    vectors: np.ndarray, i: ArrayLike, j: ArrayLike, others: np.ndarray | None = None
) -> np.ndarray:
    """Exact |vectors[i] - others[j]| (others: `vectors` when None), float64, in the broadcast shape
    of i and j: index pairs, each query against its own candidate rows, each row against its copy."""
    a = np.asarray(vectors)
    b = a if others is None else np.asarray(others)
    ii, jj = np.broadcast_arrays(np.asarray(i, np.intp), np.asarray(j, np.intp))
    shape, ii, jj = ii.shape, ii.ravel(), jj.ravel()
    out = np.empty(len(ii), np.float64)
    step = max(1, BLOCK_ELEMENTS // max(a.shape[1], 1))
    for s in range(0, len(ii), step):
        out[s : s + step] = _norms(a[ii[s : s + step]].astype(np.float64) - b[jj[s : s + step]])
    return out.reshape(shape)


def distances_to(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Exact distance of every row to one vector (float64; a row equal to it is at exactly 0)."""
    v = np.asarray(vectors)
    q = np.asarray(query, np.float64).ravel()
    out = np.empty(len(v), np.float64)
    step = max(1, BLOCK_ELEMENTS // max(len(q), 1))
    for s in range(0, len(v), step):
        out[s : s + step] = _norms(v[s : s + step].astype(np.float64) - q)
    return out


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Exact distance of one pair (compare's and the manifest's distance)."""
    return float(distances_to(np.asarray(a)[None], b)[0])


def condensed_distances(vectors: np.ndarray) -> np.ndarray:
    """Exact distances of every pair i < j, row-major (scipy's condensed form). Memory n²/2, so for
    small sets: one component to cluster, a selection to show."""
    from scipy.spatial.distance import pdist

    return np.asarray(pdist(np.asarray(vectors, np.float64)), np.float64)  # float64 differences, in C


def distance_matrix(vectors: np.ndarray) -> np.ndarray:
    """Exact (n, n) distance matrix for a small set (the heat map, the matrix export): symmetric,
    0 on the diagonal."""
    from scipy.spatial.distance import squareform

    n = len(vectors)
    return squareform(condensed_distances(vectors)) if n > 1 else np.zeros((n, n), np.float64)


def _norms(diff: np.ndarray) -> np.ndarray:
    """Row norms of float64 differences."""
    return np.sqrt(np.einsum("ij,ij->i", diff, diff))
