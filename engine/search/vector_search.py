"""k-NN behind one interface: exact (engine.search.neighbours) for small sets, FAISS past FAISS_ABOVE.

An opened index brings its own FAISS search; a plain folder switches to FAISS once exact
all-rows neighbours would make the user wait (bench/faiss_switch.py measures where).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from lookalike.engine.search.neighbours import knn

# Exact all-rows k=10: 0.9 s at 10k, 4.8 s at 20k, 16 s at 40k; FAISS IVF-Flat (build + search):
# 1.0 s, 1.6 s, 1.7 s, recall@10 >= 0.96 (bench/results/faiss_switch.md).
FAISS_ABOVE = 20_000


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
    """A FAISS L2 index (exact Flat or approximate IVF) answering like ExactSearch."""

    def __init__(self, index: Any, kind: str) -> None:
        self.index, self.kind = index, kind

    def search(
        self, queries: np.ndarray, k: int, exclude_self: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """k nearest rows per query (one more asked for, so dropping the query itself leaves k)."""
        q = np.ascontiguousarray(queries, dtype=np.float32)
        n = int(self.index.ntotal)
        extra = 1 if exclude_self is not None else 0
        k_eff = max(0, min(k, n - extra))
        if k_eff == 0 or len(q) == 0:
            return np.zeros((len(q), 0), np.int64), np.zeros((len(q), 0), np.float32)
        d2, idx = self.index.search(q, k_eff + extra)
        out_i = np.full((len(q), k_eff), -1, np.int64)
        out_d = np.full((len(q), k_eff), np.inf, np.float32)
        for r in range(len(q)):
            keep = idx[r] >= 0
            if exclude_self is not None:
                keep &= idx[r] != exclude_self[r]
            row_i, row_d = idx[r][keep][:k_eff], d2[r][keep][:k_eff]
            out_i[r, : len(row_i)] = row_i
            out_d[r, : len(row_d)] = np.sqrt(np.maximum(row_d, 0.0))
        return out_i, out_d


def searcher_for(vectors: np.ndarray) -> VectorSearch:
    """Exact below FAISS_ABOVE rows; a FAISS index (built now, recall measured) above."""
    if len(vectors) < FAISS_ABOVE:
        return ExactSearch(vectors)
    from lookalike.engine.search.vector_index import build_ann

    index, info = build_ann(vectors, kind="IVF-Flat")
    return AnnSearch(index, info.kind)


def search_of(embeddings: object, all_rows: bool = False) -> VectorSearch:
    """The search for these embeddings: an index's own FAISS; for a folder, FAISS only when the
    neighbours of every row are wanted past FAISS_ABOVE (one query is a single cheap exact pass, and
    building FAISS for it would cost more than it saves). Built once, kept on the object."""
    own = getattr(embeddings, "search", None) or getattr(embeddings, "_search", None)
    if own is not None:
        return own
    vectors = np.asarray(getattr(embeddings, "vectors"))  # noqa: B009 (any object with vectors)
    if not all_rows:
        return ExactSearch(vectors)
    made = searcher_for(vectors)
    setattr(embeddings, "_search", made)  # noqa: B010 (kept on the object, any kind)
    return made
