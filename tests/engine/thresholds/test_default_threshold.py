"""The default threshold rule: the loosest FAR point with calibration precision >= 0.5."""

from __future__ import annotations

import numpy as np
import pytest
from lookalike.engine.metrics.pair_distances import PairDistances
from lookalike.engine.metrics.verification import histograms, threshold_at_far, threshold_stats
from lookalike.engine.thresholds.default import MIN_PRECISION, choose_default, histogram_precision


def _pairs(n_gen: int, n_imp: int, seed: int = 0) -> PairDistances:
    rng = np.random.default_rng(seed)
    gen = np.sort(rng.normal(0.4, 0.15, n_gen).clip(0, 2)).astype(np.float32)
    imp = np.sort(rng.normal(1.1, 0.2, n_imp).clip(0, 2)).astype(np.float32)
    return PairDistances(gen, imp, False)


@pytest.mark.parametrize("threshold", [0.2, 0.45, 0.6, 0.75])
def test_histogram_precision_is_close_to_the_exact_count(threshold: float) -> None:
    pairs = _pairs(3_000, 300_000)
    exact = threshold_stats(pairs, threshold).precision
    estimate = histogram_precision(histograms(pairs, 200), threshold)
    assert estimate is not None
    assert abs(estimate - exact) < 0.03


def test_rule_takes_far_1e2_when_precise_enough_else_far_1e3() -> None:
    few_impostors = _pairs(3_000, 30_000)
    many_impostors = _pairs(300, 3_000_000)
    for pairs, expected in ((few_impostors, "far_1e-2"), (many_impostors, "far_1e-3")):
        thresholds = {
            "best_accuracy": 0.75,
            "far_1e-3": threshold_at_far(pairs, 1e-3),
            "far_1e-2": threshold_at_far(pairs, 1e-2),
        }
        choice = choose_default(thresholds, histograms(pairs, 200))
        assert choice.key == expected
        assert choice.value == thresholds[expected]
        exact = threshold_stats(pairs, choice.value).precision
        assert choice.precision is not None
        assert abs(choice.precision - exact) < 0.05
        if expected == "far_1e-2":
            assert exact >= MIN_PRECISION - 0.05
        else:
            assert threshold_stats(pairs, thresholds["far_1e-2"]).precision < MIN_PRECISION
        assert "FAR" in choice.label


def test_without_histograms_the_strictest_far_point_is_the_default() -> None:
    choice = choose_default({"best_accuracy": 0.9, "far_1e-3": 0.3, "far_1e-2": 0.5}, None)
    assert (choice.key, choice.value, choice.precision) == ("far_1e-3", 0.3, None)


def test_best_f1_threshold_beats_every_candidate_of_a_plain_loop() -> None:
    from lookalike.engine.thresholds.folder import best_f1_threshold, f1_score, folder_thresholds

    pairs = _pairs(400, 20_000, seed=3)
    best = f1_score(threshold_stats(pairs, best_f1_threshold(pairs)))
    grid = np.unique(np.concatenate([pairs.genuine, pairs.impostor]))
    loop = max(f1_score(threshold_stats(pairs, float(t) + 1e-7)) for t in grid[::7])
    assert best >= loop - 1e-9
    found = {t.key: t for t in folder_thresholds(pairs)}
    assert set(found) == {"best_f1", "far_1e-4", "far_1e-3", "far_1e-2"}  # the one threshold table's
    for key, far in (("far_1e-4", 1e-4), ("far_1e-3", 1e-3), ("far_1e-2", 1e-2)):
        assert found[key].stats.far <= far
    assert found["best_f1"].name == "best F1"


def test_precision_is_weighted_to_the_population_of_pairs() -> None:
    """A sample that over-draws genuine pairs must not flatter precision (0.968 shown, 0.166 true)."""
    from lookalike.engine.model.manifest import Histograms
    from lookalike.engine.thresholds.default import choose_default, histogram_precision

    edges = (0.0, 0.5, 1.0, 2.0)
    # Sampled: 100 genuine, 100 impostor pairs; the folder really has 100 genuine and 100,000 impostor.
    sampled = Histograms(edges, (60, 40, 0), (1, 9, 90), genuine_total=100, impostor_total=100_000)
    raw = 60 / (60 + 1)
    weighted = histogram_precision(sampled, 0.5)
    assert weighted is not None
    assert weighted == pytest.approx(0.6 * 100 / (0.6 * 100 + 0.01 * 100_000))
    assert weighted < 0.1 < raw
    unknown = Histograms(edges, (60, 40, 0), (1, 9, 90))  # an older manifest: no pair counts
    assert histogram_precision(unknown, 0.5) is None
    choice = choose_default({"far_1e-2": 0.9, "far_1e-3": 0.5}, unknown)
    assert choice.key == "far_1e-3"  # precision unknown: the strictest point, not the flattering one
    assert choice.precision is None
