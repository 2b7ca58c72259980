"""Where a plain folder should switch from exact k-NN to FAISS (engine.search.vector_search.FAISS_ABOVE).

k = 10 neighbours of every image (what `lookalike neighbours FOLDER` prints) by
engine.search.neighbours.knn against the folder's FAISS search as the app builds it (IVF-Flat tuned
to FOLDER_RECALL; build, recall tuning and search included), and one query's time each way (what a
selection in the app costs). Vectors: realistic ones (bench/search/index_vectors.py, needs the shared
datasets), or with `--synthetic SPREAD` unit vectors around n/100 random centres (a quick run).

    python -m bench.search.faiss_switch [--sizes 5000 10000 20000 40000] [--synthetic 0.12]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from lookalike.engine.search.neighbours import knn
from lookalike.engine.search.vector_index import build_ann
from lookalike.engine.search.vector_search import FOLDER_RECALL, AnnSearch

from bench.common import Report

SIZES = (5_000, 10_000, 20_000, 40_000)
ONE_QUERY_SAMPLES = 50


def synthetic(n: int, spread: float, dim: int = 128, seed: int = 0) -> np.ndarray:
    """Unit vectors around n/100 random centres with Gaussian spread (no datasets needed)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(1, n // 100), dim))
    x = centres[rng.integers(0, len(centres), n)] + spread * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def one_query_ms(search: object, x: np.ndarray) -> float:
    """Mean ms of a single k=12 query (the app's default k) over rows spread through the set."""
    rows = np.linspace(0, len(x) - 1, ONE_QUERY_SAMPLES).astype(int)
    start = time.perf_counter()
    for r in rows:
        search.search(x[r : r + 1], 12, exclude_self=np.array([r]))  # type: ignore[attr-defined]
    return (time.perf_counter() - start) / len(rows) * 1000


def measure(x: np.ndarray) -> tuple[str, ...]:
    """One row: exact all-rows s, FAISS build + all-rows s, recall@10 of that table, one query each."""
    from lookalike.engine.search.vector_search import ExactSearch

    n = len(x)
    t0 = time.perf_counter()
    exact_i, _ = knn(x, 10)
    t_exact = time.perf_counter() - t0
    t0 = time.perf_counter()
    index, info = build_ann(x, kind="IVF-Flat", target_recall=FOLDER_RECALL)
    ann = AnnSearch(index, info.kind, x)
    found, _ = ann.search(x, 10, exclude_self=np.arange(n))
    t_ann = time.perf_counter() - t0
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, exact_i, strict=True)])
    return (
        f"{n:,}",
        f"{t_exact:.2f}",
        f"{t_ann:.2f}",
        f"{info.params.get('nprobe')} / {info.params.get('nlist')}",
        f"{recall:.4f}",
        f"{one_query_ms(ExactSearch(x), x):.2f}",
        f"{one_query_ms(ann, x):.2f}",
    )


def main() -> None:
    """Time both at each size and save bench/results/faiss_switch[_synthetic].md."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--synthetic", type=float, default=None, metavar="SPREAD")
    args = ap.parse_args()
    name = "faiss_switch" if args.synthetic is None else "faiss_switch_synthetic"
    report = Report(name, "Exact all-rows k-NN vs the folder's FAISS IVF-Flat: where to switch")
    if args.synthetic is None:
        from bench.search.index_vectors import clustered_like, real_embeddings, within_class_std

        real, labels = real_embeddings()
        spread = within_class_std(real, labels)
        make = lambda n: clustered_like(real, spread, n)  # noqa: E731
        report.add("Vectors: bundled-model embeddings of cards + flags and clusters like them.", "")
    else:
        make = lambda n: synthetic(n, args.synthetic)  # noqa: E731
        report.add(f"Vectors: synthetic, n/100 random centres, spread {args.synthetic} (128-d).", "")
    rows = []
    for n in args.sizes:
        rows.append(measure(make(n)))
        report.add("measured: " + " | ".join(rows[-1]))
    header = ("images", "exact all-rows s", "FAISS build+all-rows s", "nprobe / nlist", "recall@10")
    report.table((*header, "one query exact ms", "one query FAISS ms"), rows)
    report.save()


if __name__ == "__main__":
    main()
