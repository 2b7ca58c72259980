"""Pair distances, FAR/VAL, ROC, EER, best threshold and calibration against loops and known answers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import lookalike.engine.metrics.pair_distances as pair_module
import numpy as np
import pytest
from lookalike.engine.errors import MetricsError
from lookalike.engine.metrics.evaluation import evaluate
from lookalike.engine.metrics.pair_distances import PairDistances, pair_distances
from lookalike.engine.metrics.verification import (
    best_threshold,
    calibrate,
    equal_error_rate,
    histograms,
    roc_auc,
    roc_curve,
    threshold_at_far,
    threshold_stats,
)

from tests.engine.card_embeddings import embed_cards
from tests.engine.clusters import clustered


def _clustered(
    seed: int, sizes: Sequence[int], dim: int = 8, spread: float = 0.7
) -> tuple[np.ndarray, list[str]]:
    return clustered(seed, sizes, dim, spread)


def _loop_pairs(vectors: np.ndarray, labels: Sequence[str | None]) -> tuple[list[float], list[float]]:
    genuine: list[float] = []
    impostor: list[float] = []
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            if labels[i] is None or labels[j] is None:
                continue
            d = float(np.linalg.norm(vectors[i].astype(np.float64) - vectors[j]))
            (genuine if labels[i] == labels[j] else impostor).append(d)
    return sorted(genuine), sorted(impostor)


def _gaussian_pairs(n_gen: int = 3000, n_imp: int = 30000, seed: int = 0) -> PairDistances:
    """Genuine ~ N(0.5, 0.1), impostor ~ N(1.0, 0.1): EER = Phi(-2.5) = 0.0062, best threshold 0.75."""
    rng = np.random.default_rng(seed)
    gen = np.sort(rng.normal(0.5, 0.1, n_gen)).astype(np.float32)
    imp = np.sort(rng.normal(1.0, 0.1, n_imp)).astype(np.float32)
    return PairDistances(gen, imp, sampled=False)


def _separable_pairs(seed: int = 0) -> PairDistances:
    rng = np.random.default_rng(seed)
    gen = np.sort(rng.uniform(0.1, 0.6, 300)).astype(np.float32)
    imp = np.sort(rng.uniform(0.7, 1.4, 5000)).astype(np.float32)
    return PairDistances(gen, imp, sampled=False)


@pytest.fixture(scope="module")
def cards(projection_model_path: Path, image_data: Path) -> tuple[np.ndarray, list[str]]:
    return embed_cards(projection_model_path, image_data, n_classes=10)


def test_pair_distances_match_a_loop() -> None:
    vectors, labels_str = _clustered(0, [12, 5, 20, 1, 8])
    labels: list[str | None] = list(labels_str)
    labels[3] = labels[30] = None
    pairs = pair_distances(vectors, labels)
    genuine, impostor = _loop_pairs(vectors, labels)
    assert not pairs.sampled
    np.testing.assert_allclose(pairs.genuine, genuine, atol=1e-5)
    np.testing.assert_allclose(pairs.impostor, impostor, atol=1e-5)


def test_pair_distances_in_several_blocks_match_the_full_matrix() -> None:
    vectors, labels = _clustered(1, [700, 500, 900], dim=6)  # 2100 images: more than one block
    pairs = pair_distances(vectors, labels)
    v = vectors.astype(np.float64)
    d = np.sqrt(np.maximum((v * v).sum(1)[:, None] + (v * v).sum(1)[None] - 2 * v @ v.T, 0))
    i, j = np.triu_indices(len(v), k=1)
    same = np.asarray(labels)[i] == np.asarray(labels)[j]
    np.testing.assert_allclose(pairs.genuine, np.sort(d[i, j][same]), atol=1e-4)
    np.testing.assert_allclose(pairs.impostor, np.sort(d[i, j][~same]), atol=1e-4)


def test_sampled_pairs_are_real_pairs_of_the_right_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors, labels = _clustered(2, [40, 60, 25, 75, 1])
    full = pair_distances(vectors, labels)
    monkeypatch.setattr(pair_module, "MAX_ALL_PAIRS", 100)
    monkeypatch.setattr(pair_module, "SAMPLE_PAIRS", 40_000)
    sampled = pair_distances(vectors, labels, seed=3)
    assert sampled.sampled
    assert len(sampled.genuine) > 1000
    assert len(sampled.impostor) > 1000
    for got, every in ((sampled.genuine, full.genuine), (sampled.impostor, full.impostor)):
        assert (np.diff(got) >= 0).all()
        pos = np.clip(np.searchsorted(every, got), 1, len(every) - 1)
        nearest = np.minimum(np.abs(every[pos] - got), np.abs(every[pos - 1] - got))
        assert nearest.max() < 1e-4  # every sampled distance is one of the real pairs' distances
        assert got.mean() == pytest.approx(every.mean(), rel=0.05)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (["a", "a", "a", "a"], "at least 2 classes"),
        (["a", "b", "c", "d"], "no genuine pairs"),
        (["a", None, None, None], "at least 2 classes"),
    ],
)
def test_pair_distances_refuse_unusable_labels(labels: list[str | None], message: str) -> None:
    with pytest.raises(MetricsError, match=message):
        pair_distances(np.eye(4, dtype=np.float32), labels)


def test_threshold_stats_match_a_loop(cards: tuple[np.ndarray, list[str]]) -> None:
    pairs = pair_distances(*cards)
    genuine, impostor = pairs.genuine.tolist(), pairs.impostor.tolist()
    candidates = [0.0, float(pairs.genuine[len(genuine) // 2]), float(pairs.impostor[100]), 0.9, 5.0]
    for t in candidates:
        ta = sum(1 for d in genuine if d < t)
        fa = sum(1 for d in impostor if d < t)
        stats = threshold_stats(pairs, t)
        assert (stats.true_accepts, stats.false_accepts, stats.false_rejects) == (ta, fa, len(genuine) - ta)
        assert stats.val == pytest.approx(ta / len(genuine))
        assert stats.far == pytest.approx(fa / len(impostor))
        assert stats.precision == pytest.approx(ta / (ta + fa) if ta + fa else 1.0)


def test_threshold_at_far_is_the_largest_that_keeps_the_rate(cards: tuple[np.ndarray, list[str]]) -> None:
    pairs = pair_distances(*cards)
    for target in (1e-3, 1e-2, 0.1):
        t = threshold_at_far(pairs, target)
        assert threshold_stats(pairs, t).far <= target
        above = pairs.impostor[pairs.impostor >= t]
        assert threshold_stats(pairs, float(np.nextafter(above[0], np.inf))).far > target


def test_roc_and_auc_match_counting(cards: tuple[np.ndarray, list[str]]) -> None:
    pairs = pair_distances(*cards)
    far, val, thr = roc_curve(pairs)
    assert far[0] == 0.0
    assert far[-1] == 1.0
    assert val[-1] == 1.0
    assert (np.diff(far) >= 0).all()
    assert (np.diff(val) >= 0).all()
    for k in range(1, len(thr), max(1, len(thr) // 15)):  # the ROC accepts d <= threshold
        assert far[k] == pytest.approx(np.mean(pairs.impostor <= thr[k]))
        assert val[k] == pytest.approx(np.mean(pairs.genuine <= thr[k]))
    rng = np.random.default_rng(0)
    g = rng.choice(pairs.genuine, 400).astype(np.float64)
    i = rng.choice(pairs.impostor, 4000).astype(np.float64)
    sub = PairDistances(np.sort(g), np.sort(i), sampled=True)
    want = float(np.mean((g[:, None] < i[None, :]) + 0.5 * (g[:, None] == i[None, :])))
    assert roc_auc(sub) == pytest.approx(want, abs=1e-9)


def test_eer_auc_and_best_threshold_on_known_distributions() -> None:
    pairs = _gaussian_pairs()
    assert equal_error_rate(pairs) == pytest.approx(0.0062, abs=0.003)
    assert roc_auc(pairs) > 0.99
    t, acc = best_threshold(pairs)
    assert t == pytest.approx(0.75, abs=0.03)
    assert acc == pytest.approx(1 - 0.0062, abs=0.004)
    assert best_threshold(pairs) == (t, acc)  # seeded folds: the same answer twice


def test_separable_data_gets_a_separating_threshold() -> None:
    pairs = _separable_pairs()
    assert equal_error_rate(pairs) == 0.0
    assert roc_auc(pairs) == 1.0
    t, acc = best_threshold(pairs)
    stats = threshold_stats(pairs, t)
    assert (stats.val, stats.far) == (1.0, 0.0)
    # Cross-validated: a fold that never saw the extreme pairs may still misplace one of them.
    assert acc > 0.995
    assert threshold_stats(pairs, threshold_at_far(pairs, 1e-3)).val == 1.0


def test_swapped_distributions_score_badly() -> None:
    good = _gaussian_pairs()
    bad = PairDistances(good.impostor[:3000], good.genuine, sampled=False)
    assert roc_auc(bad) < 0.01
    assert equal_error_rate(bad) > 0.9


def test_calibration_of_real_embeddings_is_consistent(cards: tuple[np.ndarray, list[str]]) -> None:
    vectors, labels = cards
    cal = calibrate(vectors, labels, bins=30)
    pairs = pair_distances(vectors, labels)
    assert set(cal.thresholds) == {"best_accuracy", "far_1e-4", "far_1e-3", "far_1e-2"}
    assert cal.thresholds["far_1e-3"] <= cal.thresholds["far_1e-2"]
    for key, far in (("1e-3", 1e-3), ("1e-2", 1e-2)):
        stats = threshold_stats(pairs, cal.thresholds[f"far_{key}"])
        assert stats.far <= far
        assert cal.val_at_far[key] == stats.val
    assert (cal.n_genuine, cal.n_impostor) == (len(pairs.genuine), len(pairs.impostor))
    assert len(cal.histograms.bin_edges) == 31
    assert sum(cal.histograms.genuine) == cal.n_genuine
    assert sum(cal.histograms.impostor) == cal.n_impostor
    assert 0.5 < cal.roc_auc <= 1.0
    assert 0.0 <= cal.eer < 0.5
    assert 0.5 < cal.best_accuracy <= 1.0


def test_histograms_count_every_pair_once() -> None:
    pairs = _gaussian_pairs(100, 900)
    h = histograms(pairs, bins=10)
    assert h.bin_edges[0] == 0.0
    assert h.bin_edges[-1] == pytest.approx(float(pairs.impostor.max()))
    assert (sum(h.genuine), sum(h.impostor)) == (100, 900)
    want, _ = np.histogram(pairs.genuine, np.asarray(h.bin_edges))
    assert list(h.genuine) == want.tolist()


def test_evaluate_report_is_complete_and_json_ready(cards: tuple[np.ndarray, list[str]]) -> None:
    report = evaluate(*cards)
    for key in (
        "precision_at_1",
        "r_precision",
        "mean_average_precision_at_r",
        "roc_auc",
        "eer",
        "best_threshold",
    ):
        assert isinstance(report[key], float)
        assert 0.0 <= report[key] <= 2.0
    assert set(report["val_at_far"]) == {"1e-4", "1e-3", "1e-2"}
    assert (report["n_images"], report["n_classes"]) == (len(cards[1]), 10)
    json.dumps(report, allow_nan=False)


@pytest.mark.parametrize(
    "labels", [["a"] * 5, ["a"], ["a", "b", "c"]], ids=["one-class", "one-image", "singletons"]
)
def test_evaluate_refuses_data_without_pairs(labels: list[str]) -> None:
    vectors = np.random.default_rng(0).standard_normal((len(labels), 4)).astype(np.float32)
    with pytest.raises(MetricsError) as info:
        evaluate(vectors, labels)
    assert "class" in str(info.value)


def test_tiny_but_valid_data_does_not_crash() -> None:
    vectors, labels = _clustered(4, [2, 2])
    report = evaluate(vectors, labels)
    assert report["n_genuine_pairs"] == 2
    assert report["n_impostor_pairs"] == 4
    assert np.isfinite(report["best_threshold"])


def test_roc_and_auc_equal_scikit_learn(cards: tuple[np.ndarray, list[str]]) -> None:
    from sklearn.metrics import roc_auc_score
    from sklearn.metrics import roc_curve as sk_roc

    real = pair_distances(*cards)
    tied = PairDistances(np.round(real.genuine, 2), np.round(real.impostor, 2), sampled=False)  # many ties
    for pairs in (real, tied):
        y = np.r_[np.ones(len(pairs.genuine)), np.zeros(len(pairs.impostor))]
        score = -np.r_[pairs.genuine, pairs.impostor].astype(np.float64)
        fpr, tpr, thr = sk_roc(y, score)
        far, val, ours = roc_curve(pairs)
        np.testing.assert_array_equal(far, fpr)
        np.testing.assert_array_equal(val, tpr)
        np.testing.assert_array_equal(ours, -thr)
        assert roc_auc(pairs) == pytest.approx(roc_auc_score(y, score), abs=1e-12)


def test_histograms_equal_numpy_histogram(cards: tuple[np.ndarray, list[str]]) -> None:
    pairs = pair_distances(*cards)
    hist = histograms(pairs, bins=30)
    edges = np.asarray(hist.bin_edges)
    assert hist.genuine == tuple(np.histogram(pairs.genuine, edges)[0])
    assert hist.impostor == tuple(np.histogram(pairs.impostor, edges)[0])
