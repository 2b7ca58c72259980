"""Duplicate grouping: connected components vs complete linkage, scored against the class labels.

python -m bench.duplicates.duplicate_grouping [--sets cards flags glyphs] [--model assets/model.onnx]

A group should hold one class only (purity, pair precision) and keep a class together (pair
recall). Pair precision = within-group pairs that share a class / within-group pairs; pair recall =
same-class pairs inside one group / all same-class pairs; purity = images in their group's majority
class / grouped images. The flags set leaves out emoji_* files (reserved for independent evaluation).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np
from lookalike.engine.duplicates.groups import (
    MAX_CLOSE_PAIRS,
    METHODS,
    DuplicateGroups,
    TooManyPairsError,
    close_pairs,
    groups_from_pairs,
)
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder

from bench.common import Report

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
THRESHOLDS = ("far_1e-3", "far_1e-2", "best_accuracy")


def main(argv: list[str] | None = None) -> int:
    """Embed each set once (cached), then group it at each of the model's thresholds both ways."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sets", nargs="+", default=["cards", "flags", "glyphs"])
    ap.add_argument("--model", type=Path, default=default_model_path())
    ap.add_argument("--datasets", type=Path, default=DATASETS)
    args = ap.parse_args(argv)
    embedder = Embedder(args.model)
    report = Report("duplicate_grouping", "Duplicate grouping: connected components vs complete linkage")
    report.add(f"Model: {args.model.name}; thresholds from its manifest: {embedder.manifest.thresholds}", "")
    rows: list[tuple[str, ...]] = []
    for name in args.sets:
        vectors, labels = _load(args.datasets / name, embedder)
        for key in THRESHOLDS:
            rows += _measure(name, key, embedder.manifest.thresholds[key], vectors, labels)
    report.table(
        (
            "set",
            "threshold",
            "method",
            "groups",
            "grouped images",
            "largest",
            "purity",
            "pair precision",
            "pair recall",
            "seconds",
        ),
        rows,
    )
    report.save()
    return 0


def _load(folder: Path, embedder: Embedder) -> tuple[np.ndarray, list[str]]:
    emb = embed_folder(folder, embedder)
    keep = [i for i, p in enumerate(emb.paths) if not p.rsplit("/", 1)[-1].startswith("emoji_")]
    return emb.vectors[keep], [str(emb.labels[i]) for i in keep]


def _measure(
    name: str, key: str, threshold: float, vectors: np.ndarray, labels: list[str]
) -> list[tuple[str, ...]]:
    start = time.perf_counter()
    try:
        pairs = close_pairs(vectors, threshold)
    except TooManyPairsError:
        too_many = f"> {MAX_CLOSE_PAIRS:,} pairs: refused"
        return [(f"{name} ({len(labels)})", f"{key} = {threshold:.3f}", "both", too_many, *["–"] * 6)]
    pair_seconds = time.perf_counter() - start
    out: list[tuple[str, ...]] = []
    for method in METHODS:
        start = time.perf_counter()
        groups = groups_from_pairs(vectors, pairs, method)
        seconds = pair_seconds + time.perf_counter() - start
        purity, precision, recall = scores(groups, labels)
        largest = len(groups.groups[0]) if groups.groups else 0
        out.append(
            (
                f"{name} ({len(labels)})",
                f"{key} = {threshold:.3f}",
                method,
                f"{len(groups.groups)}",
                f"{groups.n_images}",
                f"{largest}",
                f"{purity:.3f}",
                f"{precision:.3f}",
                f"{recall:.3f}",
                f"{seconds:.2f}",
            )
        )
    return out


def scores(groups: DuplicateGroups, labels: list[str]) -> tuple[float, float, float]:
    """(purity, pair precision, pair recall) of the groups against class labels."""
    majority = same = within = 0
    for g in groups.groups:
        counts = Counter(labels[r] for r in g)
        majority += counts.most_common(1)[0][1]
        same += sum(c * (c - 1) // 2 for c in counts.values())
        within += len(g) * (len(g) - 1) // 2
    class_sizes = Counter(labels).values()
    genuine = sum(c * (c - 1) // 2 for c in class_sizes)
    purity = majority / groups.n_images if groups.n_images else 1.0
    precision = same / within if within else 1.0
    return purity, precision, same / genuine if genuine else 0.0


if __name__ == "__main__":
    raise SystemExit(main())
