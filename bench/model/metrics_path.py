"""Issue 9, item 3: one metrics path — what measuring pairs once and calibrating once saves.

Three jobs, each timed the old way and the new way in the same run, alternating (ABBA), on
clustered unit vectors shaped like real held-out sets (dim 128, about 8 images a class):
- folder: the GUI's pair statistics of a labelled folder. Before: every distance in one pass,
  then the labelled pairs again in a second (engine.thresholds.summary before this change).
  After: folder_pairs, one pass for both.
- epoch: training validation per epoch. Before: the full report (engine.metrics.evaluation.evaluate, with
  the 10-fold calibration) for four headline numbers. After: held_out_metrics, headline only.
- export: before, the full report and then calibrate on the same vectors (two calibrations).
  After: the pairs measured once, the headline from them, one calibration.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from lookalike.engine.metrics.evaluation import evaluate
from lookalike.engine.metrics.pair_distances import measure_pairs, pair_distances
from lookalike.engine.metrics.verification import calibrate, calibrate_pairs, histograms
from lookalike.engine.thresholds.summary import _roc, folder_pairs
from lookalike.train.loop.validation import headline_of, held_out_metrics

from bench.common import Report, timed


def clustered(n: int, per_class: int, dim: int = 128, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Unit vectors around one centre per class, noisy enough that classes overlap a little."""
    rng = np.random.default_rng(seed)
    n_classes = max(2, n // per_class)
    centres = rng.standard_normal((n_classes, dim))
    cls = np.arange(n) % n_classes
    v = centres[cls] + 0.9 * rng.standard_normal((n, dim))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v.astype(np.float32), [f"c{c}" for c in cls]


def folder_before(v: np.ndarray, labels: list[str]) -> object:
    """The old folder statistics: an unlabelled pass for every distance, then the labelled one."""
    every = np.sort(measure_pairs(v, [None] * len(v)).distances)
    pairs = pair_distances(v, labels)
    return every, _roc(pairs), histograms(pairs)


def export_before(v: np.ndarray, labels: list[str]) -> object:
    """The old export: the full report (one calibration) and then calibrate again."""
    return evaluate(v, labels), calibrate(v, labels)


def export_after(v: np.ndarray, labels: list[str]) -> object:
    """The new export: pairs once, headline from them, one calibration."""
    pairs = pair_distances(v, labels)
    return headline_of(v, labels, pairs), calibrate_pairs(pairs)


def abba(before: Callable[[], Any], after: Callable[[], Any], rounds: int) -> tuple[float, float]:
    """Median seconds of each, measured alternately so load changes hit both alike."""
    tb: list[float] = []
    ta: list[float] = []
    for _ in range(rounds):
        tb.append(timed(before)[0])
        ta.append(timed(after)[0])
        ta.append(timed(after)[0])
        tb.append(timed(before)[0])
    return statistics.median(tb), statistics.median(ta)


def run(sizes: list[int], rounds: int) -> Report:
    """Measure, print and return the report."""
    rep = Report("metrics_path", "One metrics path: pairs measured once, calibration once")
    rows: list[tuple[str, ...]] = []
    for n in sizes:
        v, labels = clustered(n, per_class=8)
        jobs: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
            "folder pair statistics (GUI)": (folder_before, folder_pairs),
            "validation per epoch": (evaluate, held_out_metrics),
            "export metrics + calibration": (export_before, export_after),
        }
        for job, (before, after) in jobs.items():
            tb, ta = abba(partial(before, v, labels), partial(after, v, labels), rounds)
            rows.append((job, f"{n:,}", f"{tb * 1000:.0f}", f"{ta * 1000:.0f}", f"**{tb / ta:.2f}×**"))
            print(f"  N={n} {job}: before {tb * 1000:.0f} ms, after {ta * 1000:.0f} ms", flush=True)
    rep.table(("job", "images", "before ms (median)", "after ms (median)", "before / after"), rows)
    rep.add(f"{rounds} ABBA rounds per job (median of {2 * rounds} timings each); dim 128, 8 images a class.")
    return rep


def main(argv: list[str] | None = None) -> int:
    """Command line: sizes and rounds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    run(args.sizes, args.rounds).save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
