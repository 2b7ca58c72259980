"""What a threshold means on the open folder: matching pairs, and with labels FAR, VAL, precision, ROC.

Pair distances are computed once per folder (in a worker); every later threshold is a binary search
on sorted arrays, so a slider can update the counts at once without re-embedding anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lookalike.engine.errors import MetricsError
from lookalike.engine.metrics.pair_distances import PairDistances, measure_pairs
from lookalike.engine.metrics.verification import (
    ThresholdStats,
    histograms,
    roc_curve,
    threshold_at_far,
    threshold_stats,
)
from lookalike.engine.model.manifest import Histograms
from lookalike.engine.thresholds.sorted_counts import count_below

ROC_POINTS = 400


@dataclass(frozen=True)
class FolderPairs:
    """Every pair distance of a folder (or a seeded sample), plus the labelled split when there is one."""

    distances: np.ndarray
    n_pairs: int
    sampled: bool
    labelled: PairDistances | None
    roc_far: np.ndarray
    roc_val: np.ndarray
    histograms: Histograms | None


@dataclass(frozen=True)
class ThresholdSummary:
    """The folder at one threshold: how many pairs match, and label-based rates when available."""

    threshold: float
    matching_pairs: int
    estimated: bool
    stats: ThresholdStats | None


def folder_pairs(vectors: np.ndarray, labels: Sequence[str | None], seed: int = 0) -> FolderPairs:
    """Compute the folder's pair distances once, so threshold look-ups are instant afterwards."""
    measured = measure_pairs(vectors, labels, seed)
    labelled = measured.labelled
    far = val = np.zeros(0)
    hist = None
    if labelled is not None:
        far, val = _roc(labelled)
        hist = histograms(labelled)
    return FolderPairs(
        np.sort(measured.distances), measured.n_pairs, measured.sampled, labelled, far, val, hist
    )


def summarize(pairs: FolderPairs, threshold: float) -> ThresholdSummary:
    """Matching pairs (distance below threshold) and, with labels, FAR / VAL / precision."""
    below = count_below(pairs.distances, threshold)
    if pairs.sampled and len(pairs.distances):
        below = round(below / len(pairs.distances) * pairs.n_pairs)
    stats = threshold_stats(pairs.labelled, threshold) if pairs.labelled is not None else None
    return ThresholdSummary(float(threshold), below, pairs.sampled, stats)


def threshold_for_far(pairs: FolderPairs, far: float) -> float:
    """The largest threshold whose false accept rate on this folder stays within `far`."""
    if pairs.labelled is None:
        raise MetricsError("a target FAR needs a folder with labels (one sub-folder per class)")
    return threshold_at_far(pairs.labelled, far)


def _roc(pairs: PairDistances) -> tuple[np.ndarray, np.ndarray]:
    """The ROC thinned to a few hundred points: enough to draw, cheap to keep."""
    far, val, _ = roc_curve(pairs)
    if len(far) > ROC_POINTS:
        keep = np.unique(np.linspace(0, len(far) - 1, ROC_POINTS).astype(int))
        far, val = far[keep], val[keep]
    return np.asarray(far, np.float64), np.asarray(val, np.float64)
