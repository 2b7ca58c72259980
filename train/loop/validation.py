"""Open-set validation on held-out classes with the engine's own metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from lookalike.engine.errors import MetricsError
from lookalike.engine.metrics.pair_distances import PairDistances, pair_distances
from lookalike.engine.metrics.retrieval import retrieval_metrics
from lookalike.engine.metrics.verification import roc_auc, val_at_far
from lookalike.train.data.preload import dataset_of

# The numbers printed per epoch and compared across runs; MAP@R picks the best checkpoint.
HEADLINE = ("precision_at_1", "mean_average_precision_at_r", "roc_auc", "val_at_far_1e-3")


def held_out_metrics(vectors: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """precision@1, MAP@R, ROC AUC, VAL@FAR=1e-3 only: no calibration, which an epoch never uses."""
    return headline_of(vectors, labels, pair_distances(vectors, labels))


def headline_of(vectors: np.ndarray, labels: Sequence[str], pairs: PairDistances) -> dict[str, Any]:
    """The headline figures from pairs already measured (export calibrates on the same pairs)."""
    ret = retrieval_metrics(vectors, labels)
    return {
        "precision_at_1": ret.precision_at_1,
        "mean_average_precision_at_r": ret.mean_average_precision_at_r,
        "roc_auc": roc_auc(pairs),
        "val_at_far_1e-3": val_at_far(pairs, 1e-3),
    }


def headline(report: dict[str, Any]) -> dict[str, float]:
    """The four figures worth a line per epoch."""
    return {k: float(report[k]) for k in HEADLINE}


def per_dataset(vectors: np.ndarray, labels: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Metrics per dataset root when a run mixes several (labels ROOT/CLASS)."""
    groups = sorted({dataset_of(lab) for lab in labels})
    out: dict[str, dict[str, Any]] = {}
    if len(groups) < 2:
        return out
    codes = np.array([dataset_of(lab) for lab in labels])
    for group in groups:
        idx = np.flatnonzero(codes == group)
        try:
            out[group] = held_out_metrics(vectors[idx], [labels[int(i)] for i in idx])
        except MetricsError:
            continue
    return out
