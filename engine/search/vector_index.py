"""FAISS index over an index's vectors: exact while small, approximate past that, recall measured.

Vectors are the model's L2-normalised embeddings and the manifest's distance is Euclidean, so
every index here is an L2 one (distances come back squared; `AnnSearch` takes the root).
Kind by size and memory: `Flat` (exact) up to FLAT_MAX_ROWS; `IVF-Flat` (full vectors, cells
probed by `nprobe`) while the vectors fit in half the memory; `IVF-SQ8` (one byte a dimension,
a quarter of the memory) while that fits; `IVF-PQ` (32-byte codes, recall capped) beyond.
`nprobe` is the smallest power of two whose recall@10 against exact search, on a seeded sample
of queries, reaches the target (TARGET_RECALL for an index folder; a plain folder's search asks for
more, engine/search/vector_search.py); the recall reached is recorded either way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.errors import DamagedFileError, first_line
from lookalike.engine.folder.cpu_split import cpu_cores
from lookalike.engine.index.cluster_extra import require
from lookalike.engine.metrics.sampling import sample_rows

FLAT_MAX_ROWS = 100_000  # exact k=10 query: 10.6 ms at 100k, 73 ms at 1M (bench/results/faiss_index.md)
MEMORY_FRACTION = 0.5  # full vectors may take this much of the machine's memory, else IVF-PQ
TARGET_RECALL = 0.95
RECALL_QUERIES = 300
RECALL_K = 10
PLATEAU = 0.005  # recall gained by doubling nprobe below which tuning stops
TRAIN_PER_LIST = 50  # training points per IVF cell (FAISS wants at least 39)
# Compressed codes (8-bit, PQ) order close rows only roughly. A search that holds the vectors
# (engine.search.vector_search.AnnSearch) asks such an index for RERANK_EXTRA more rows than it
# needs and re-ranks them by exact distance, and tuning measures that answer. On 4,000 clustered
# vectors of 64 numbers IVF-SQ8's own recall@10 stopped at 0.98, re-ranked it reached the target.
RERANK_EXTRA = 10
COMPRESSED_KINDS = frozenset({"IVF-SQ8", "IVF-PQ"})


def rerank_extra(kind: str) -> int:
    """Rows asked for beyond k from an index of this kind when exact re-ranking follows."""
    return RERANK_EXTRA if kind in COMPRESSED_KINDS else 0


@dataclass(frozen=True)
class AnnInfo:
    """What was built and how good it is: stored in the index manifest."""

    kind: str
    params: dict[str, int]
    n: int
    recall_at_10: float
    recall_queries: int
    build_seconds: float
    index_bytes: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the manifest's `ann` field)."""
        return asdict(self)


def build_ann(
    vectors: np.ndarray,
    memory_bytes: int | None = None,
    seed: int = 0,
    kind: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    target_recall: float = TARGET_RECALL,
) -> tuple[Any, AnnInfo]:
    """Build the FAISS index this many vectors call for (or `kind`), tune it, measure its recall."""
    faiss = require("faiss")
    faiss.omp_set_num_threads(cpu_cores())
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n, d = x.shape
    start = time.perf_counter()
    chosen = kind or choose_kind(n, d, memory_bytes if memory_bytes is not None else _memory())
    if chosen == "Flat":
        index = faiss.IndexFlatL2(d)
        params: dict[str, int] = {}
    else:
        index, params = _ivf(faiss, x, chosen, seed)
    _add(index, x, progress)
    if chosen != "Flat":
        params["nprobe"], recall = _tune_nprobe(faiss, index, x, seed, target_recall)
    else:
        recall = 1.0
    seconds = time.perf_counter() - start
    nq = 0 if chosen == "Flat" else min(RECALL_QUERIES, n)
    return index, AnnInfo(chosen, params, n, recall, nq, round(seconds, 3), index_bytes(faiss, index))


def index_bytes(faiss: Any, index: Any) -> int:
    """What the index holds (codes, ids, coarse centroids), counted: serialising it to measure would
    copy a big folder's whole index for a moment (184 MB at 30,000 images of 1,536 numbers). Within
    0.5 % of the serialised size (tests/engine/search/test_vector_index_bytes.py)."""
    try:
        ivf = faiss.extract_index_ivf(index)
    except RuntimeError:  # not an IVF index: a flat one holds its codes only
        return int(index.ntotal) * int(index.code_size)
    return int(ivf.ntotal) * (int(ivf.code_size) + 8) + int(ivf.quantizer.ntotal) * int(ivf.d) * 4


def choose_kind(n: int, d: int, memory_bytes: int) -> str:
    """Flat while small; IVF-Flat while the full vectors fit in memory; then 8-bit; IVF-PQ past that."""
    if n <= FLAT_MAX_ROWS:
        return "Flat"
    if n * d * 4 <= MEMORY_FRACTION * memory_bytes:
        return "IVF-Flat"
    if n * d <= MEMORY_FRACTION * memory_bytes:
        return "IVF-SQ8"
    return "IVF-PQ"


def _ivf(faiss: Any, x: np.ndarray, kind: str, seed: int) -> tuple[Any, dict[str, int]]:
    """An IVF index with about √n cells, trained on a seeded sample of TRAIN_PER_LIST per cell."""
    n, d = x.shape
    nlist = max(16, int(math.sqrt(n)))
    params = {"nlist": nlist}
    if kind == "IVF-PQ":
        m = _pq_subquantizers(d)
        index = faiss.index_factory(d, f"IVF{nlist},PQ{m}x8", faiss.METRIC_L2)
        params |= {"pq_m": m, "pq_nbits": 8}
    elif kind == "IVF-SQ8":
        index = faiss.index_factory(d, f"IVF{nlist},SQ8", faiss.METRIC_L2)
    else:
        index = faiss.index_factory(d, f"IVF{nlist},Flat", faiss.METRIC_L2)
    sample = x[sample_rows(n, TRAIN_PER_LIST * nlist, seed)]
    faiss.extract_index_ivf(index).cp.seed = seed
    index.train(sample)
    return index, params


def _pq_subquantizers(d: int) -> int:
    """32 sub-quantizers (32 bytes a vector) when d allows, else the largest divisor of d below it."""
    return max(m for m in range(1, min(32, d) + 1) if d % m == 0)


def _add(index: Any, x: np.ndarray, progress: Callable[[int, int], None] | None) -> None:
    step = 100_000
    for start in range(0, len(x), step):
        index.add(x[start : start + step])
        if progress:
            progress(min(start + step, len(x)), len(x))


def _tune_nprobe(faiss: Any, index: Any, x: np.ndarray, seed: int, target: float) -> tuple[int, float]:
    """Smallest power-of-two nprobe reaching `target` on seeded queries (exact answers by brute force);
    when recall stops rising on PQ codes (they cap it) the nprobe before the plateau,
    not all lists. Full vectors (IVF-Flat) and re-ranked 8-bit codes are never capped: probing every
    list is exact."""
    rng = np.random.default_rng(seed + 1)
    rows = rng.choice(len(x), min(RECALL_QUERIES, len(x)), replace=False)
    # Brute force without an index: an IndexFlatL2 holds a copy of every vector (600 MB at 100,000
    # of 1,536 numbers, on top of the index being tuned).
    _, truth = faiss.knn(x[rows], x, RECALL_K + 1)
    ivf = faiss.extract_index_ivf(index)
    compressed = ivf.code_size < 4 * x.shape[1]  # re-ranked by exact distance, as AnnSearch does
    # Re-ranked 8-bit codes track full vectors (4,000 clustered vectors: the same recall at every
    # nprobe), so only PQ's codes, under a byte a number, can plateau below the target.
    capped = ivf.code_size < x.shape[1]
    prev_n, prev_r, nprobe = 0, -1.0, 1
    while True:
        ivf.nprobe = nprobe
        recall = recall_at_k(_reranked(index, x, rows, compressed), truth, rows, RECALL_K)
        if recall >= target or nprobe >= ivf.nlist:
            return nprobe, recall
        if capped and prev_n and recall < prev_r + PLATEAU:  # no longer improving: keep the cheaper setting
            ivf.nprobe = prev_n
            return prev_n, prev_r
        prev_n, prev_r, nprobe = nprobe, recall, min(nprobe * 2, ivf.nlist)


def _reranked(index: Any, x: np.ndarray, rows: np.ndarray, compressed: bool) -> np.ndarray:
    """What a search of these rows answers: for compressed codes RERANK_EXTRA more rows, ordered
    by exact distance as AnnSearch orders them (a few MB for RECALL_QUERIES queries)."""
    want = RECALL_K + 1
    _, found = index.search(x[rows], want + (RERANK_EXTRA if compressed else 0))
    if not compressed:
        return found
    d2 = ((x[rows][:, None, :] - x[np.maximum(found, 0)]) ** 2).sum(-1)
    d2[found < 0] = np.inf
    return np.take_along_axis(found, np.argsort(d2, axis=1, kind="stable")[:, :want], axis=1)


def recall_at_k(found: np.ndarray, truth: np.ndarray, self_rows: np.ndarray, k: int) -> float:
    """Share of each query's true k nearest others (itself left out) that the index also returned."""
    hits = 0
    for f, t, q in zip(found, truth, self_rows, strict=True):
        want = [int(j) for j in t if j != q][:k]
        got = {int(j) for j in f if j != q and j >= 0}
        hits += len(got.intersection(want))
    return hits / (k * len(self_rows))


def save_ann(index: Any) -> bytes:
    """The index as bytes (written atomically by the caller)."""
    faiss = require("faiss")
    return bytes(faiss.serialize_index(index))


def load_ann(data: bytes, params: dict[str, int]) -> Any:
    """Read an index back and restore its search-time parameters (nprobe)."""
    faiss = require("faiss")
    faiss.omp_set_num_threads(cpu_cores())
    index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    if "nprobe" in params:
        faiss.extract_index_ivf(index).nprobe = params["nprobe"]
    return index


def _memory() -> int:
    """Physical memory of this machine (bytes)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def read_ann(path: Path, params: dict[str, int]) -> Any:
    """Read an index file straight into FAISS (no copy of its bytes in Python) with its nprobe."""
    faiss = require("faiss")
    faiss.omp_set_num_threads(cpu_cores())
    try:
        index = faiss.read_index(str(path))
    except (RuntimeError, OSError, ValueError, MemoryError) as exc:  # FAISS says RuntimeError
        raise DamagedFileError(
            f"{path} is damaged (not a readable FAISS index: {first_line(exc, 120)}); "
            "run `lookalike index` again to rebuild it"
        ) from exc
    if "nprobe" in params:
        faiss.extract_index_ivf(index).nprobe = params["nprobe"]
    return index
