"""Which of a model's calibrated thresholds the app starts with, and why: a rule read off the manifest.

Balanced best accuracy is the wrong default for a real folder: with many classes almost every
pair is an impostor, so a threshold tuned on balanced pairs accepts far more impostors than
genuine pairs. The default is therefore a false-accept-rate point: the loosest one (FAR 1e-2,
then 1e-3, then 1e-4: FAR_TARGETS) whose precision on the model's held-out calibration pairs (its
histograms, weighted to their real pair counts) is at least MIN_PRECISION, else the strictest.
bench/model/threshold_precision.py measures the same on the held-out images themselves, so the
rule can be re-checked for every new model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from lookalike.engine.duplicates.pixel_gate import PictureCheck, PixelGate
from lookalike.engine.thresholds.table import (
    DUPLICATE_KEY,
    DUPLICATE_PICTURE_KEY,
    DUPLICATE_PIXELS_KEY,
    FAR_TARGETS,
    name,
)

if TYPE_CHECKING:
    from lookalike.engine.model.manifest import Histograms

CANDIDATES = tuple(sorted(FAR_TARGETS, key=FAR_TARGETS.__getitem__, reverse=True))  # loosest first
MIN_PRECISION = 0.5


@dataclass(frozen=True)
class ThresholdChoice:
    """The default threshold, the manifest key it comes from, and its held-out precision if known."""

    key: str
    value: float
    precision: float | None

    @property
    def label(self) -> str:
        """What the UI says about the default, e.g. 'FAR 1e-4 (model calibration)'."""
        return f"{name(self.key)} (model calibration)"


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
    """Share of accepted calibration pairs that are genuine, over the calibration set's real pairs.

    The histograms may hold a sample that over-draws genuine pairs (a many-class set has ~1 genuine
    pair in 100); each side's accept rate is therefore weighted by its population count. Without
    those counts (older manifests) the precision is unknown, not the sample's flattering figure.
    """
    if histograms.genuine_total <= 0 or histograms.impostor_total <= 0:
        return None
    edges = np.asarray(histograms.bin_edges, np.float64)
    gen, imp = np.asarray(histograms.genuine, np.float64), np.asarray(histograms.impostor, np.float64)
    val = _count_below(edges, gen, threshold) / max(gen.sum(), 1.0)
    far = _count_below(edges, imp, threshold) / max(imp.sum(), 1.0)
    accepted = val * histograms.genuine_total + far * histograms.impostor_total
    return None if accepted <= 0 else float(val * histograms.genuine_total / accepted)


def _count_below(edges: np.ndarray, counts: np.ndarray, threshold: float) -> float:
    """Pairs below `threshold`, assuming the pairs of a bin spread evenly over it."""
    cum = np.r_[0.0, np.cumsum(counts)]
    return float(np.interp(threshold, edges, cum))


# For a model calibrated before duplicate calibration existed: the picture threshold the bundled
# model's calibration chose (assets/MODEL.md), with the model's strictest FAR point as the
# embedding stage. Said as uncalibrated wherever it is shown.
FALLBACK_PICTURE = 0.45


@dataclass(frozen=True)
class DuplicateChoice:
    """The duplicate ("same picture") thresholds: embedding distance and picture distance."""

    embedding: float
    picture: float | None
    calibrated: bool
    gate: PixelGate | None = None

    @property
    def check(self) -> PictureCheck | None:
        """What the listing checks after the embedding: the pixel gate (if any), then the picture."""
        return None if self.picture is None else PictureCheck(self.picture, self.gate)

    @property
    def label(self) -> str:
        """Where the thresholds come from, as the UI and CLI say it."""
        return "model's near-copy calibration" if self.calibrated else "not calibrated for this model"


def choose_duplicate(
    thresholds: Mapping[str, float], pixels_part: tuple[int, int] | None = None
) -> DuplicateChoice:
    """The manifest's calibrated duplicate thresholds (with the pixel gate where the model has a
    pixels part and a calibrated gate), else the strictest FAR point plus the picture check."""
    if DUPLICATE_KEY in thresholds and DUPLICATE_PICTURE_KEY in thresholds:
        gate = None
        if pixels_part is not None and DUPLICATE_PIXELS_KEY in thresholds:
            gate = PixelGate(pixels_part[0], pixels_part[1], float(thresholds[DUPLICATE_PIXELS_KEY]))
        return DuplicateChoice(
            float(thresholds[DUPLICATE_KEY]), float(thresholds[DUPLICATE_PICTURE_KEY]), True, gate
        )
    strict = min((float(v) for k, v in thresholds.items() if k.startswith("far_")), default=0.5)
    return DuplicateChoice(strict, FALLBACK_PICTURE, False)
