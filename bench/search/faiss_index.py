"""Issue 12: the index's FAISS search at 100k and 1M vectors against exact search.

For each size: build time, index size, single-query k=10 latency (one thread, median and p95 of
QUERIES queries taken from the set, the query itself left out) and recall@10 against exact
(FAISS Flat) answers, for Flat (exact), IVF-Flat and IVF-PQ as engine.search.vector_index builds them
(nprobe tuned at build time to recall@10 >= 0.95 on its own seeded sample). Goal: at 1M an
approximate index answers k=10 in < 10 ms with recall@10 >= 0.95. Vectors: bench/search/index_vectors.py.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
from lookalike.engine.search.vector_index import build_ann, recall_at_k

from bench.common import Report, verdict
from bench.search.index_vectors import clustered_like, real_embeddings, within_class_std

QUERIES = 300
K = 10


def latency_and_recall(
    index: Any, x: np.ndarray, rows: np.ndarray, truth: np.ndarray
) -> tuple[float, float, float]:
    """Median and p95 single-query ms (one thread), and recall@10 of those queries."""
    import faiss

    faiss.omp_set_num_threads(1)
    times, found = [], []
    for r in rows:
        start = time.perf_counter()
        _, ids = index.search(x[r : r + 1], K + 1)
        times.append((time.perf_counter() - start) * 1000)
        found.append(ids[0])
    faiss.omp_set_num_threads(2)
    p95 = float(np.percentile(times, 95))
    return statistics.median(times), p95, recall_at_k(np.asarray(found), truth, rows, K)


def one_size(report: Report, x: np.ndarray, kinds: list[str]) -> list[tuple[str, ...]]:
    import faiss

    rng = np.random.default_rng(123)  # other queries than the build-time sample (seed 1)
    rows = rng.choice(len(x), QUERIES, replace=False)
    exact = faiss.IndexFlatL2(x.shape[1])
    exact.add(x)
    _, truth = exact.search(x[rows], K + 1)
    out: list[tuple[str, ...]] = []
    for kind in kinds:
        t0 = time.perf_counter()
        index, info = build_ann(x, kind=kind)
        build = time.perf_counter() - t0
        med, p95, recall = latency_and_recall(index, x, rows, truth)
        params = ", ".join(f"{k}={v}" for k, v in info.params.items()) or "-"
        row = (
            f"{len(x):,}",
            kind,
            params,
            f"{build:.1f}",
            f"{info.index_bytes / 2**20:.0f}",
            f"{med:.2f}",
            f"{p95:.2f}",
            f"{recall:.3f}",
            f"{info.recall_at_10:.3f}",
        )
        report.add("measured: " + " | ".join(row))
        out.append(row)
        del index
    return out


def main() -> None:
    """Run both sizes (or --sizes) and save bench/results/faiss_index.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--kinds", nargs="+", default=["Flat", "IVF-Flat", "IVF-SQ8", "IVF-PQ"])
    args = parser.parse_args()
    name = (
        "faiss_index" if args.kinds == parser.get_default("kinds") else "faiss_index_" + "_".join(args.kinds)
    )
    report = Report(name, "FAISS index: build, size, k=10 query latency and recall@10 vs exact")
    real, labels = real_embeddings()
    spread = within_class_std(real, labels)
    report.add(
        f"Vectors: {len(real)} real embeddings (bundled model, cards + flags) + clustered synthetic "
        f"ones around n/100 centres, 128-d unit vectors (bench/search/index_vectors.py). {QUERIES} queries "
        "from the set, self excluded; latency one query at a time on one thread.",
        "",
    )
    rows: list[tuple[str, ...]] = []
    for n in args.sizes:
        x = clustered_like(real, spread, n)
        rows += one_size(report, x, args.kinds)
    header = (
        "vectors",
        "index",
        "parameters",
        "build s",
        "size MB",
        "query ms (median)",
        "query ms (p95)",
        "recall@10",
        "recall@10 at build",
    )
    report.table(header, rows)
    big = [r for r in rows if r[0] == f"{max(args.sizes):,}" and r[1] != "Flat"]
    ok = any(float(r[5]) < 10 and float(r[7]) >= 0.95 for r in big)
    report.add(
        f"Goal at {max(args.sizes):,}: an approximate index under 10 ms with recall@10 >= 0.95: {verdict(ok)}"
    )
    report.save()


if __name__ == "__main__":
    main()
