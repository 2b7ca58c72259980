"""Which of a model's calibrated thresholds the app starts with, and why: a rule read off the manifest.

Balanced best accuracy is the wrong default for a real folder: with many classes almost every
pair is an impostor, so a threshold tuned on balanced pairs accepts far more impostors than
genuine pairs. The default is therefore a false-accept-rate point: the loosest one (FAR 1e-2,
then 1e-3) whose precision on the model's held-out calibration pairs (its histograms, all pairs
of many classes) is at least MIN_PRECISION. bench/threshold_precision.py measures the same on the
held-out images themselves, so the rule can be re-checked for every new model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lookalike.engine.model.manifest import Histograms

CANDIDATES = ("far_1e-2", "far_1e-3")  # loosest first
MIN_PRECISION = 0.5
KEY_NAMES = {"best_accuracy": "best balanced accuracy", "far_1e-3": "FAR 1e-3", "far_1e-2": "FAR 1e-2"}


@dataclass(frozen=True)
class ThresholdChoice:
    """The default threshold, the manifest key it comes from, and its held-out precision if known."""

    key: str
    value: float
    precision: float | None

    @property
    def label(self) -> str:
        """What the UI says about the default, e.g. 'FAR 1e-2 (model calibration)'."""
        return f"{KEY_NAMES.get(self.key, self.key)} (model calibration)"


def choose_default(thresholds: Mapping[str, float], histograms: Histograms | None) -> ThresholdChoice:
    """The loosest FAR point whose calibration precision reaches MIN_PRECISION, else the strictest."""
    present = [k for k in CANDIDATES if k in thresholds]
    if not present:
        key = next(iter(thresholds))
        return ThresholdChoice(key, float(thresholds[key]), None)
    for key in present:
        precision = histogram_precision(histograms, thresholds[key]) if histograms else None
        if precision is not None and precision >= MIN_PRECISION:
            return ThresholdChoice(key, float(thresholds[key]), precision)
    key = present[-1]
    precision = histogram_precision(histograms, thresholds[key]) if histograms else None
    return ThresholdChoice(key, float(thresholds[key]), precision)


def histogram_precision(histograms: Histograms, threshold: float) -> float | None:
    """Share of accepted calibration pairs that are genuine, counts interpolated inside a bin."""
    edges = np.asarray(histograms.bin_edges, np.float64)
    gen = _count_below(edges, np.asarray(histograms.genuine, np.float64), threshold)
    imp = _count_below(edges, np.asarray(histograms.impostor, np.float64), threshold)
    return None if gen + imp <= 0 else gen / (gen + imp)


def _count_below(edges: np.ndarray, counts: np.ndarray, threshold: float) -> float:
    """Pairs below `threshold`, assuming the pairs of a bin spread evenly over it."""
    cum = np.r_[0.0, np.cumsum(counts)]
    return float(np.interp(threshold, edges, cum))
