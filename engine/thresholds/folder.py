"""Thresholds chosen on the open folder's own labels: best F1 over pairs, and FAR targets.

A labelled folder knows better than the model's calibration which threshold suits it; these are
offered next to the model's values (computed in a worker: the F1 scan touches every genuine pair).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from lookalike.engine.metrics.pair_distances import PairDistances
from lookalike.engine.metrics.verification import ThresholdStats, threshold_at_far, threshold_stats
from lookalike.engine.thresholds.table import FAR_TARGETS, name


@dataclass(frozen=True)
class FolderThreshold:
    """One threshold chosen on this folder, with what it means here (FAR, VAL, precision)."""

    key: str
    stats: ThresholdStats

    @property
    def value(self) -> float:
        """The threshold, in distance units."""
        return self.stats.threshold

    @property
    def name(self) -> str:
        """'best F1', 'FAR 1e-3', …"""
        return name(self.key)


def best_f1_threshold(pairs: PairDistances) -> float:
    """The threshold with the best F1 over pairs (precision and VAL balanced), halfway into its gap."""
    gen, imp = pairs.genuine, pairs.impostor
    if len(gen) == 0:
        return 0.0
    ta = np.searchsorted(gen, gen, side="right")  # accepting every pair at or below each candidate
    fa = np.searchsorted(imp, gen, side="right")
    g_w, i_w = _pair_weights(pairs)
    f1 = 2.0 * g_w * ta / (2.0 * g_w * ta + i_w * fa + g_w * (len(gen) - ta))
    i = int(np.argmax(f1))
    here = float(gen[i])
    above = [float(a[n]) for a, n in ((gen, ta[i]), (imp, fa[i])) if n < len(a)]
    return (here + min(above)) / 2.0 if above else np.nextafter(here, np.inf).item()


def _pair_weights(pairs: PairDistances) -> tuple[float, float]:
    """How many folder pairs one sampled genuine / impostor pair stands for (1, 1 when not sampled)."""
    if not (pairs.genuine_total and pairs.impostor_total):
        return 1.0, 1.0
    return pairs.genuine_total / max(len(pairs.genuine), 1), pairs.impostor_total / max(
        len(pairs.impostor), 1
    )


def folder_thresholds(pairs: PairDistances) -> list[FolderThreshold]:
    """Best F1 and the FAR targets on this folder's labelled pairs, each with its stats."""
    values = {"best_f1": best_f1_threshold(pairs)}
    values |= {key: threshold_at_far(pairs, far) for key, far in FAR_TARGETS.items()}
    return [FolderThreshold(key, threshold_stats(pairs, value)) for key, value in values.items()]


def f1_score(stats: ThresholdStats) -> float:
    """F1 over pairs: the harmonic mean of precision and VAL (recall)."""
    denom = 2 * stats.true_accepts + stats.false_accepts + stats.false_rejects
    return 2 * stats.true_accepts / denom if denom else 0.0
