"""Precision on sampled pairs must estimate the folder's own precision: genuine pairs are sampled
far more often than their share, so raw sample counts overstate it (0.97 against ~0.06 measured on
844 held-out classes)."""

from __future__ import annotations

import lookalike.engine.metrics.pair_distances as pair_module
import numpy as np
import pytest
from lookalike.engine.metrics.pair_distances import PairDistances, measure_pairs, population_counts
from lookalike.engine.metrics.verification import threshold_stats

from tests.engine.clusters import clustered


def _many_classes() -> tuple[np.ndarray, list[str | None]]:
    vectors, labels = clustered(3, [6] * 300, dim=16, spread=0.6)
    return vectors, list(labels)


def test_population_counts_are_the_folder_pairs() -> None:
    codes = np.array([0, 0, 0, 1, 1, 2, -1])
    assert population_counts(codes) == (3 + 1 + 0, 6 * 5 // 2 - 4)


@pytest.fixture
def exact_and_sampled(monkeypatch: pytest.MonkeyPatch) -> tuple[PairDistances, PairDistances]:
    """The same many-class folder measured over all pairs and over a sample."""
    vectors, labels = _many_classes()
    exact = measure_pairs(vectors, labels).labelled
    monkeypatch.setattr(pair_module, "MAX_ALL_PAIRS", 1_000)
    monkeypatch.setattr(pair_module, "SAMPLE_PAIRS", 400_000)
    sampled = measure_pairs(vectors, labels).labelled
    assert exact is not None
    assert sampled is not None
    assert sampled.sampled
    assert not exact.sampled
    return exact, sampled


def test_sampled_precision_estimates_the_exact_one(
    exact_and_sampled: tuple[PairDistances, PairDistances],
) -> None:
    exact, sampled = exact_and_sampled
    threshold = float(np.quantile(exact.genuine, 0.5))
    want, got = threshold_stats(exact, threshold), threshold_stats(sampled, threshold)
    assert want.precision < 0.9  # many classes: impostors dominate the accepted pairs
    assert got.precision == pytest.approx(want.precision, abs=0.05)
    assert got.true_accepts == pytest.approx(want.true_accepts, rel=0.1)


def test_best_f1_on_sampled_pairs_is_near_the_exact_one(
    exact_and_sampled: tuple[PairDistances, PairDistances],
) -> None:
    from lookalike.engine.thresholds.folder import best_f1_threshold

    exact, sampled = exact_and_sampled
    want = threshold_stats(exact, best_f1_threshold(exact))
    got = threshold_stats(exact, best_f1_threshold(sampled))  # the sampled choice, scored exactly
    assert got.precision == pytest.approx(want.precision, abs=0.05)
    assert got.val == pytest.approx(want.val, abs=0.05)
