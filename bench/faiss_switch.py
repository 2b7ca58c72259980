"""Issue 12: where a plain folder should switch from exact k-NN to FAISS (engine.search.vector_search).

k = 10 neighbours of every image (what `lookalike neighbours FOLDER` and the map need) by
engine.search.neighbours.knn against an IVF-Flat index (build, recall tuning and search included), on
realistic vectors (bench/index_vectors.py). The switch belongs where exact search takes seconds.
"""

from __future__ import annotations

import time

import numpy as np
from lookalike.engine.search.neighbours import knn
from lookalike.engine.search.vector_index import build_ann
from lookalike.engine.search.vector_search import AnnSearch

from bench.common import Report
from bench.index_vectors import clustered_like, real_embeddings, within_class_std

SIZES = (5_000, 10_000, 20_000, 40_000)


def main() -> None:
    """Time both at each size and save bench/results/faiss_switch.md."""
    report = Report("faiss_switch", "Exact all-rows k-NN vs FAISS IVF-Flat: where to switch")
    real, labels = real_embeddings()
    spread = within_class_std(real, labels)
    rows: list[tuple[str, ...]] = []
    for n in SIZES:
        x = clustered_like(real, spread, n)
        t0 = time.perf_counter()
        knn(x, 10)
        t_exact = time.perf_counter() - t0
        t0 = time.perf_counter()
        index, info = build_ann(x, kind="IVF-Flat")
        AnnSearch(index, info.kind).search(x, 10, exclude_self=np.arange(n))
        t_ann = time.perf_counter() - t0
        rows.append((f"{n:,}", f"{t_exact:.2f}", f"{t_ann:.2f}", f"{info.recall_at_10:.3f}"))
        report.add("measured: " + " | ".join(rows[-1]))
    report.table(("images", "exact knn s", "FAISS IVF-Flat s (build+search)", "recall@10"), rows)
    report.save()


if __name__ == "__main__":
    main()
