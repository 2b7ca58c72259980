"""One report of a labelled folder's retrieval and verification quality (CLI `evaluate`, train)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
from lookalike.engine.metrics.retrieval import retrieval_metrics
from lookalike.engine.metrics.verification import calibrate


def evaluate(vectors: np.ndarray, labels: Sequence[str | None]) -> dict[str, Any]:
    """All metrics as one JSON-ready dict; raises MetricsError when the data cannot support them."""
    ret = retrieval_metrics(vectors, labels)
    cal = calibrate(vectors, labels)
    report: dict[str, Any] = asdict(ret)
    report.update(
        roc_auc=cal.roc_auc,
        eer=cal.eer,
        val_at_far=dict(cal.val_at_far),
        best_threshold=cal.thresholds["best_accuracy"],
        best_accuracy=cal.best_accuracy,
        thresholds=dict(cal.thresholds),
        n_genuine_pairs=cal.n_genuine,
        n_impostor_pairs=cal.n_impostor,
    )
    return report
