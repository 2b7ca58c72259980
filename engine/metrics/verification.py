"""Verification quality of a threshold on pair distances: ROC, AUC, EER, VAL@FAR, calibration.

VAL and FAR follow FaceNet (Schroff et al. 2015): VAL = share of genuine pairs accepted, FAR =
share of impostor pairs accepted, accepting a pair when its distance is below the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lookalike.engine.metrics.pair_distances import PairDistances, pair_distances
from lookalike.engine.model.manifest import Histograms
from lookalike.engine.thresholds.sorted_counts import count_below
from lookalike.engine.thresholds.table import FAR_TARGETS, far_suffix


@dataclass(frozen=True)
class ThresholdStats:
    """What one threshold costs: false accepts, missed matches, and precision over pairs."""

    threshold: float
    far: float
    val: float
    precision: float
    true_accepts: int
    false_accepts: int
    false_rejects: int


@dataclass(frozen=True)
class Calibration:
    """Thresholds and quality figures computed on labelled pairs (held-out classes in training)."""

    thresholds: dict[str, float]
    histograms: Histograms
    roc_auc: float
    eer: float
    val_at_far: dict[str, float]
    best_accuracy: float
    n_genuine: int
    n_impostor: int


def threshold_stats(pairs: PairDistances, threshold: float) -> ThresholdStats:
    """FAR, VAL and precision at one threshold, via binary search on sorted distances (fast)."""
    gen, imp = _sorted(pairs)
    ta = count_below(gen, threshold)
    fa = count_below(imp, threshold)
    far = fa / max(len(imp), 1)
    val = ta / max(len(gen), 1)
    if pairs.genuine_total and pairs.impostor_total:
        # Sampled pairs: genuine ones were drawn far more often than their share, so counts are
        # scaled back to the folder's own pairs before precision (else it is wildly optimistic).
        ta, fa = round(val * pairs.genuine_total), round(far * pairs.impostor_total)
        return ThresholdStats(
            float(threshold), far, val, ta / (ta + fa) if ta + fa else 1.0, ta, fa, pairs.genuine_total - ta
        )
    precision = ta / (ta + fa) if ta + fa else 1.0
    return ThresholdStats(float(threshold), far, val, precision, ta, fa, len(gen) - ta)


def threshold_at_far(pairs: PairDistances, far: float) -> float:
    """Largest threshold whose false accept rate does not exceed `far`."""
    _, imp = _sorted(pairs)
    allowed = int(np.floor(far * len(imp)))
    return float(imp[min(allowed, len(imp) - 1)]) if len(imp) else float("inf")


def val_at_far(pairs: PairDistances, far: float) -> float:
    """Share of genuine pairs accepted at the largest threshold whose FAR stays within `far`."""
    return threshold_stats(pairs, threshold_at_far(pairs, far)).val


def roc_curve(pairs: PairDistances) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(FAR, VAL, threshold) along the ROC; equal to scikit-learn's roc_curve on score = -distance.

    Plain numpy on the sorted arrays rather than scikit-learn: the GUI computes this in a worker,
    and importing scikit-learn there holds the GIL long enough to freeze the window.
    """
    fps, tps, thr = _distinct_counts(pairs)
    if len(fps) > 2:  # drop points collinear with their neighbours, as scikit-learn does
        keep = np.flatnonzero(np.r_[True, (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0), True])
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    fps, tps = np.r_[0, fps].astype(np.float64), np.r_[0, tps].astype(np.float64)
    far = fps / fps[-1] if fps[-1] > 0 else np.full(len(fps), np.nan)
    val = tps / tps[-1] if tps[-1] > 0 else np.full(len(tps), np.nan)
    return far, val, np.r_[-np.inf, thr]


def roc_auc(pairs: PairDistances) -> float:
    """Area under the ROC: the chance a random genuine pair is closer than a random impostor.

    Counted directly (ties count half, as the trapezoid under the ROC does) by binary searches of the
    few genuine distances among the sorted impostors, instead of building the whole curve.
    """
    gen, imp = _sorted(pairs)
    if len(gen) == 0 or len(imp) == 0:
        return float("nan")
    first = np.searchsorted(imp, gen, side="left")
    after = np.searchsorted(imp, gen, side="right")
    closer = (len(imp) - after).sum(dtype=np.float64) + 0.5 * (after - first).sum(dtype=np.float64)
    return float(closer / (len(gen) * len(imp)))


def equal_error_rate(pairs: PairDistances) -> float:
    """The error rate where FAR equals the false reject rate."""
    fpr, tpr, _ = roc_curve(pairs)
    frr = 1.0 - tpr
    i = int(np.argmin(np.abs(fpr - frr)))
    return float((fpr[i] + frr[i]) / 2.0)


def best_threshold(pairs: PairDistances, folds: int = 10, seed: int = 0) -> tuple[float, float]:
    """Best balanced-accuracy threshold by k-fold cross-validation (as facenet's validate_on_lfw).

    Accuracy is balanced (mean of VAL and 1 - FAR) because impostor pairs vastly outnumber
    genuine ones; LFW gets the same effect from its balanced pair list.
    Returns (threshold = median of the folds' picks, cross-validated accuracy).
    """
    rng = np.random.default_rng(seed)
    gfold = rng.integers(0, folds, len(pairs.genuine))
    ifold = rng.integers(0, folds, len(pairs.impostor))
    grid = _candidate_thresholds(pairs)
    picks, accs = [], []
    for f in range(folds):
        tr = PairDistances(pairs.genuine[gfold != f], pairs.impostor[ifold != f], pairs.sampled)
        te = PairDistances(pairs.genuine[gfold == f], pairs.impostor[ifold == f], pairs.sampled)
        if len(te.genuine) == 0 or len(te.impostor) == 0:
            continue
        t = _middle_of_best(grid, _balanced_accuracy(tr, grid))
        picks.append(t)
        accs.append(float(_balanced_accuracy(te, np.array([t]))[0]))
    if not picks:
        t = _middle_of_best(grid, _balanced_accuracy(pairs, grid))
        return float(t), float(_balanced_accuracy(pairs, np.array([t]))[0])
    return float(np.median(picks)), float(np.mean(accs))


def calibrate(vectors: np.ndarray, labels: Sequence[str | None], bins: int = 50) -> Calibration:
    """Everything a model's manifest and the app's threshold slider need, from labelled data."""
    return calibrate_pairs(pair_distances(vectors, labels), bins)


def calibrate_pairs(pairs: PairDistances, bins: int = 50) -> Calibration:
    """The calibration of pairs already measured (a caller that needs them too measures once)."""
    best_t, best_acc = best_threshold(pairs)
    far_t = {k: threshold_at_far(pairs, v) for k, v in FAR_TARGETS.items()}
    val = {far_suffix(k): val_at_far(pairs, far) for k, far in FAR_TARGETS.items()}
    return Calibration(
        thresholds={"best_accuracy": best_t, **far_t},
        histograms=histograms(pairs, bins),
        roc_auc=roc_auc(pairs),
        eer=equal_error_rate(pairs),
        val_at_far=val,
        best_accuracy=best_acc,
        n_genuine=len(pairs.genuine),
        n_impostor=len(pairs.impostor),
    )


def histograms(pairs: PairDistances, bins: int = 50) -> Histograms:
    """Genuine and impostor counts on shared bins over [0, max distance]."""
    gen, imp = _sorted(pairs)
    top = float(max(gen[-1] if len(gen) else 0, imp[-1] if len(imp) else 0, 1e-6))
    edges = np.linspace(0.0, top, bins + 1)
    totals = (pairs.genuine_total, pairs.impostor_total) if pairs.sampled else (len(gen), len(imp))
    return Histograms(tuple(map(float, edges)), _bin_counts(gen, edges), _bin_counts(imp, edges), *totals)


def _bin_counts(values: np.ndarray, edges: np.ndarray) -> tuple[int, ...]:
    """np.histogram's counts (last bin closed) by binary search: the values are sorted already."""
    cum = np.r_[
        np.searchsorted(values, edges[:-1], side="left"), np.searchsorted(values, edges[-1:], side="right")
    ]
    return tuple(map(int, np.diff(cum)))


def _candidate_thresholds(pairs: PairDistances, per_side: int = 401) -> np.ndarray:
    """Real distances at quantiles of each side, plus midpoints between neighbours.

    Per side, so the genuine region is not drowned by the far more numerous impostors; with
    midpoints, a gap between the two sides (separable data) gets a threshold in its middle.
    """
    q = np.linspace(0.0, 1.0, per_side)
    sides = [np.quantile(s, q, method="inverted_cdf") for s in (pairs.genuine, pairs.impostor) if len(s)]
    values = np.unique(np.concatenate(sides).astype(np.float64))
    return np.sort(np.concatenate([values, (values[:-1] + values[1:]) / 2.0]))


def _middle_of_best(grid: np.ndarray, accuracy: np.ndarray) -> float:
    """The middle one of the thresholds tied for best: the first would sit at the edge of a gap
    between genuine and impostor distances, rejecting the next genuine pair it has not seen."""
    best = np.flatnonzero(accuracy >= accuracy.max())
    return float(grid[best[len(best) // 2]])


def _balanced_accuracy(pairs: PairDistances, thresholds: np.ndarray) -> np.ndarray:
    gen, imp = _sorted(pairs)
    val = np.searchsorted(gen, thresholds, side="left") / max(len(gen), 1)
    far = np.searchsorted(imp, thresholds, side="left") / max(len(imp), 1)
    return np.asarray((val + 1.0 - far) / 2.0)


def _sorted(pairs: PairDistances) -> tuple[np.ndarray, np.ndarray]:
    return pairs.genuine, pairs.impostor


def _distinct_counts(pairs: PairDistances) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Impostor and genuine counts at or below each distinct distance (a merge of sorted arrays)."""
    gen, imp = _sorted(pairs)
    merged = np.sort(np.concatenate([gen, imp]).astype(np.float64), kind="stable")  # two sorted runs
    last = np.r_[np.flatnonzero(merged[1:] != merged[:-1]), len(merged) - 1]
    thr = merged[last]
    tps = np.searchsorted(gen, thr, side="right")
    return last + 1 - tps, tps, thr
