"""k-NN behind one interface: exact (engine.search.neighbours) for small sets, FAISS past FAISS_ABOVE.

One search path for every neighbour query of a folder (the CLI's table, `--query`, the app's
selection and Find similar): below FAISS_ABOVE rows an exact numpy pass; above it an in-memory
FAISS IVF-SQ8 index (one byte a number: the folder's vectors are already in memory, so the index
need not hold a second float copy of them), built once per folder and kept, tuned to FOLDER_RECALL
recall@10 against exact search, with the distances of what it finds recomputed exactly from the
vectors. Where 8-bit codes cannot reach FOLDER_RECALL the folder gets IVF-Flat instead. Where FAISS cannot be
imported (no wheel for the platform) the exact pass answers at every size. An opened index brings
its own FAISS search.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType
from typing import Any, Protocol

import numpy as np
from lookalike.engine.search.distances import index_distances
from lookalike.engine.search.neighbours import knn
from lookalike.engine.search.vector_index import build_ann, rerank_extra

# `python -m bench.search.faiss_switch --sizes 2500 5000 10000 20000 40000 --synthetic 0.12` (2 cores,
# bench/results/faiss_switch_synthetic.md): exact all-rows k=10 0.14 / 0.39 / 0.30 / 0.81 / 10.4 s,
# FAISS build + all rows 0.34 / 0.14 / 0.15 / 0.61 / 3.3 s at recall@10 >= 0.99; one query 0.4-5 ms
# exact, 0.1 ms FAISS. They cross between 2.5k and 5k, but up to 10k both stay under half a second,
# so exact search (recall 1) is kept there; past it exact grows as n².
FAISS_ABOVE = 10_000
FOLDER_RECALL = 0.99  # recall@10 the folder's FAISS index is tuned to (what the app and CLI show)
# Vectors without cluster structure need most lists probed to reach FOLDER_RECALL; past this share
# IVF is slower than one exact GEMM (40k near-uniform vectors: nprobe 64 of 200, all rows 27 s
# against 16 s exact), so the folder keeps exact search.
MAX_PROBED_SHARE = 0.25
QUERY_BLOCK = 4096  # queries per FAISS call: answers and exact re-ranking stay a few MB
# The folder index's codes. On the 100,000-image bench folder (1,536 numbers; /tmp/memprof study,
# 300 seeded queries) IVF-SQ8 reached recall@10 0.994 at nprobe 8 against IVF-Flat's 0.990, in
# 0.22 against 0.70 ms a query, holding 154 MB against 615 MB: the scalar quantizer's error is far
# below the gaps between neighbours, and the exact re-ranking removes what is left of it.
FOLDER_KIND = "IVF-SQ8"

_BUILD_LOCK = threading.Lock()


class VectorSearch(Protocol):
    """Nearest rows of a fixed set of vectors, best first, like engine.search.neighbours.knn."""

    kind: str

    def search(
        self, queries: np.ndarray, k: int, exclude_self: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...


class ExactSearch:
    """All distances, exactly (engine.search.neighbours.knn)."""

    kind = "exact"

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    def search(
        self, queries: np.ndarray, k: int, exclude_self: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """k nearest rows per query; `exclude_self[i]` is query i's own row, left out."""
        return knn(self.vectors, k, queries=queries, exclude_self=exclude_self)


class AnnSearch:
    """A FAISS L2 index (exact Flat or approximate IVF) answering like ExactSearch.

    Given the vectors, the rows FAISS finds are re-ranked by distances recomputed from the vectors
    (FAISS's float32 |q|² + |b|² − 2 q·b loses near-duplicates' small distances to cancellation).
    """

    def __init__(self, index: Any, kind: str, vectors: np.ndarray | None = None) -> None:
        self.index, self.kind, self.vectors = index, kind, vectors

    def search(
        self, queries: np.ndarray, k: int, exclude_self: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """k nearest rows per query (one more asked for, so dropping the query itself leaves k)."""
        q = np.ascontiguousarray(queries, dtype=np.float32)
        n = int(self.index.ntotal)
        extra = 1 if exclude_self is not None else 0
        k_eff = max(0, min(k, n - extra))
        out_i = np.zeros((len(q), k_eff), np.int64)
        out_d = np.zeros((len(q), k_eff), np.float32)
        if k_eff == 0 or len(q) == 0:
            return out_i, out_d
        for start in range(0, len(q), QUERY_BLOCK):
            stop = min(start + QUERY_BLOCK, len(q))
            selfs = None if exclude_self is None else np.asarray(exclude_self)[start:stop]
            out_i[start:stop], out_d[start:stop] = self._block(q[start:stop], k_eff, selfs)
        return out_i, out_d

    def _block(self, q: np.ndarray, k: int, selfs: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        n = int(self.index.ntotal)
        extra = 0 if self.vectors is None else rerank_extra(self.kind)  # exact order fixes the codes'
        d2, idx = self.index.search(q, k + (0 if selfs is None else 1) + extra)
        if selfs is not None:
            idx = np.where(idx == selfs[:, None], -1, idx)
        dist = np.sqrt(np.maximum(d2, 0.0)) if self.vectors is None else self._exact(q, idx)
        dist = np.where(idx >= 0, dist, np.inf)
        order = np.lexsort((np.where(idx >= 0, idx, n), dist), axis=1)[:, :k]
        return np.take_along_axis(idx, order, axis=1), np.take_along_axis(dist, order, axis=1)

    def _exact(self, q: np.ndarray, idx: np.ndarray) -> np.ndarray:
        assert self.vectors is not None
        return index_distances(q, np.arange(len(q))[:, None], np.maximum(idx, 0), self.vectors)


def faiss_module() -> ModuleType | None:
    """FAISS when it can be imported (a core dependency, but wheels lack on some platforms), else None."""
    try:
        return importlib.import_module("faiss")
    except ImportError:
        return None


def searcher_for(vectors: np.ndarray) -> VectorSearch:
    """Exact below FAISS_ABOVE rows or without FAISS; a FAISS index (built now, recall measured) above,
    unless reaching FOLDER_RECALL took probing so much of it that exact search is faster."""
    if len(vectors) < FAISS_ABOVE or faiss_module() is None:
        return ExactSearch(vectors)
    index, info = build_ann(vectors, kind=FOLDER_KIND, target_recall=FOLDER_RECALL)
    if info.recall_at_10 < FOLDER_RECALL:  # the codes capped recall: full vectors, probed further
        index, info = build_ann(vectors, kind="IVF-Flat", target_recall=FOLDER_RECALL)
    if info.params["nprobe"] > MAX_PROBED_SHARE * info.params["nlist"]:
        return ExactSearch(vectors)
    return AnnSearch(index, info.kind, np.asarray(vectors))


def search_of(embeddings: object, wait: bool = True) -> VectorSearch:
    """The search for these embeddings: an index's own FAISS; for a folder, searcher_for's, built on
    the first query (from any thread, once) and kept on the object for every later one.

    wait=False is for one query that should not wait for a big folder's index (the app's first
    click while the index it started on opening is still being built: 3-5 s at 100,000 images,
    the last thing the window waited for before it was usable): until the index is there, exact
    search answers (~55 ms a query at 100,000 images of 1,584 numbers), building nothing."""
    own = getattr(embeddings, "search", None) or getattr(embeddings, "_search", None)
    if own is not None:
        return own
    vectors = np.asarray(getattr(embeddings, "vectors"))  # noqa: B009 (any object with vectors)
    if not wait and len(vectors) >= FAISS_ABOVE:
        return ExactSearch(vectors)
    with _BUILD_LOCK:
        made = getattr(embeddings, "_search", None)
        if made is None:
            made = searcher_for(vectors)
            setattr(embeddings, "_search", made)  # noqa: B010 (kept on the object, any kind)
    return made
