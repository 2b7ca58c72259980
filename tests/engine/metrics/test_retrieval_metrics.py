"""Retrieval metrics against a plain loop over queries and against pytorch-metric-learning."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.errors import MetricsError
from lookalike.engine.metrics.retrieval import encode_labels, retrieval_metrics

from tests.engine.card_embeddings import embed_cards
from tests.engine.clusters import clustered


def _slow_reference(vectors: np.ndarray, labels: Sequence[str | None]) -> tuple[float, float, float, int]:
    """Precision@1, R-precision and MAP@R, one query at a time, straight from the definitions."""
    p1, rp, ap, n_queries = [], [], [], 0
    v = np.asarray(vectors, np.float64)
    for i, label in enumerate(labels):
        if label is None:
            continue
        others = [j for j in range(len(labels)) if j != i]
        r = sum(labels[j] == label for j in others)
        if r == 0:
            continue
        n_queries += 1
        dist = [float(np.linalg.norm(v[i] - v[j])) for j in others]
        ranked = [others[m] for m in np.argsort(dist, kind="stable")]
        rel = [labels[j] == label for j in ranked[:r]]
        p1.append(float(rel[0]))
        rp.append(sum(rel) / r)
        hits, total = 0, 0.0
        for rank, is_rel in enumerate(rel, start=1):
            if is_rel:
                hits += 1
                total += hits / rank
        ap.append(total / r)
    return float(np.mean(p1)), float(np.mean(rp)), float(np.mean(ap)), n_queries


def _clustered(
    seed: int, sizes: Sequence[int], dim: int = 16, spread: float = 0.6
) -> tuple[np.ndarray, list[str]]:
    return clustered(seed, sizes, dim, spread)


@pytest.fixture(scope="module")
def cards(projection_model_path: Path, image_data: Path) -> tuple[np.ndarray, list[str]]:
    return embed_cards(projection_model_path, image_data, n_classes=12)


def _check_against_reference(vectors: np.ndarray, labels: Sequence[str | None]) -> None:
    got = retrieval_metrics(vectors, labels)
    p1, rp, map_r, n_queries = _slow_reference(vectors, labels)
    assert got.precision_at_1 == pytest.approx(p1, abs=1e-9)
    assert got.r_precision == pytest.approx(rp, abs=1e-9)
    assert got.mean_average_precision_at_r == pytest.approx(map_r, abs=1e-9)
    assert got.n_queries == n_queries
    assert got.n_images == len(labels)


def test_real_card_embeddings_match_the_slow_loop(cards: tuple[np.ndarray, list[str]]) -> None:
    vectors, labels = cards
    _check_against_reference(vectors, labels)
    got = retrieval_metrics(vectors, labels)
    assert got.n_classes == 12
    assert 0.0 < got.mean_average_precision_at_r <= got.r_precision <= 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clustered_data_with_singletons_and_unlabelled_match_the_slow_loop(seed: int) -> None:
    vectors, labels_str = _clustered(seed, [15, 4, 30, 1, 9, 2])
    labels: list[str | None] = list(labels_str)
    for i in range(0, len(labels), 7):
        labels[i] = None  # unlabelled images: distractors, never queries, never matches
    _check_against_reference(vectors, labels)


def _pml(vectors: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    torch = pytest.importorskip("torch")
    from pytorch_metric_learning.distances import LpDistance
    from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator
    from pytorch_metric_learning.utils.inference import CustomKNN

    # faiss is not installed: PML's own brute-force torch k-NN (CustomKNN) with plain L2 distance.
    calc = AccuracyCalculator(
        include=("precision_at_1", "r_precision", "mean_average_precision_at_r"),
        k="max_bin_count",
        device=torch.device("cpu"),
        knn_func=CustomKNN(LpDistance(normalize_embeddings=False)),
    )
    codes = torch.from_numpy(encode_labels(labels))
    result: dict[str, float] = calc.get_accuracy(torch.from_numpy(np.asarray(vectors, np.float32)), codes)
    return result


def test_matches_pytorch_metric_learning(cards: tuple[np.ndarray, list[str]]) -> None:
    for vectors, labels in (cards, _clustered(5, [20, 3, 11, 1, 40, 7])):
        ours = retrieval_metrics(vectors, labels)
        theirs = _pml(vectors, labels)
        assert ours.precision_at_1 == pytest.approx(theirs["precision_at_1"], abs=1e-6)
        assert ours.r_precision == pytest.approx(theirs["r_precision"], abs=1e-6)
        assert ours.mean_average_precision_at_r == pytest.approx(
            theirs["mean_average_precision_at_r"], abs=1e-6
        )


def test_perfect_and_shuffled_embeddings() -> None:
    vectors, labels = _clustered(3, [10, 10, 10, 10], spread=0.01)
    perfect = retrieval_metrics(vectors, labels)
    assert (perfect.precision_at_1, perfect.r_precision, perfect.mean_average_precision_at_r) == (
        1.0,
        1.0,
        1.0,
    )
    shuffled = list(np.random.default_rng(0).permutation(labels))
    worse = retrieval_metrics(vectors, shuffled)
    assert worse.r_precision < 0.6
    _check_against_reference(vectors, shuffled)


@pytest.mark.parametrize(
    "labels",
    [
        ["a", "a", "a"],  # one class
        ["a"],  # one image
        ["a", "b", "c"],  # every class a singleton: no query has a match
        [None, None, None],  # no labels
        [],
    ],
    ids=["one-class", "one-image", "all-singletons", "unlabelled", "empty"],
)
def test_unsupported_data_raises_metrics_error(labels: list[str | None]) -> None:
    vectors = np.random.default_rng(0).standard_normal((len(labels), 4)).astype(np.float32)
    with pytest.raises(MetricsError, match="at least 2 classes"):
        retrieval_metrics(vectors, labels)


def test_encode_labels() -> None:
    codes = encode_labels(["b", None, "a", "b"])
    assert codes.tolist() == [1, -1, 0, 1]
