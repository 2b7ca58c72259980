"""Threshold summary over a folder's pairs, checked against plain loops over every pair."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.errors import MetricsError
from lookalike.engine.metrics import pair_distances as pair_module
from lookalike.engine.search import distances
from lookalike.engine.thresholds import summary as ts

from tests.engine.card_embeddings import embed_cards


def _unit(rng: np.random.Generator, n: int, dim: int = 8) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _loop_counts(v: np.ndarray, labels: list[str | None], t: float) -> tuple[int, int, int]:
    match = genuine_acc = impostor_acc = 0
    for i, j in itertools.combinations(range(len(v)), 2):
        d = float(np.linalg.norm(v[i].astype(np.float64) - v[j]))
        if d < t:
            match += 1
            if labels[i] is not None and labels[j] is not None:
                genuine_acc += labels[i] == labels[j]
                impostor_acc += labels[i] != labels[j]
    return match, genuine_acc, impostor_acc


@pytest.mark.parametrize("unlabelled", [(), (0, 7, 33)])
@pytest.mark.parametrize("t", [0.3, 0.9, 1.2, 1.6])
def test_summary_matches_a_loop_over_pairs(t: float, unlabelled: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    v = _unit(rng, 40)
    labels: list[str | None] = [None if i in unlabelled else f"c{i % 5}" for i in range(40)]
    pairs = ts.folder_pairs(v, labels)
    summary = ts.summarize(pairs, t)
    match, ga, ia = _loop_counts(v, labels, t)
    assert summary.matching_pairs == match
    assert not summary.estimated
    assert summary.stats is not None
    assert summary.stats.true_accepts == ga
    assert summary.stats.false_accepts == ia
    assert pairs.n_pairs == 40 * 39 // 2


def test_a_folder_is_measured_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    passes: list[int] = []
    blocks = pair_module.triangle_blocks

    def counted(v: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        passes.append(len(v))
        return blocks(v)

    monkeypatch.setattr(pair_module, "triangle_blocks", counted)  # the one blocked distance pass
    assert not hasattr(ts, "triangle_blocks")  # the summary has no distance pass of its own
    v = _unit(np.random.default_rng(7), 30)
    labels: list[str | None] = [f"c{i % 3}" for i in range(30)]
    pairs = ts.folder_pairs(v, labels)
    assert passes == [30]
    assert pairs.labelled is not None
    split = np.sort(np.r_[pairs.labelled.genuine, pairs.labelled.impostor])
    np.testing.assert_array_equal(split, pairs.distances)  # the split is of the very same distances


def test_unlabelled_folder_has_counts_but_no_rates() -> None:
    v = _unit(np.random.default_rng(2), 30)
    pairs = ts.folder_pairs(v, [None] * 30)
    assert pairs.labelled is None
    assert pairs.histograms is None
    assert len(pairs.roc_far) == 0
    assert ts.summarize(pairs, 2.1).matching_pairs == 30 * 29 // 2
    assert ts.summarize(pairs, 0.0).matching_pairs == 0
    with pytest.raises(MetricsError):
        ts.threshold_for_far(pairs, 1e-2)


def test_roc_is_monotone_and_far_target_is_respected() -> None:
    rng = np.random.default_rng(3)
    centres = _unit(rng, 6)
    v = np.repeat(centres, 10, axis=0) + 0.2 * rng.standard_normal((60, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    labels: list[str | None] = [f"c{i // 10}" for i in range(60)]
    pairs = ts.folder_pairs(v, labels)
    assert np.all(np.diff(pairs.roc_far) >= 0)
    assert np.all(np.diff(pairs.roc_val) >= 0)
    t = ts.threshold_for_far(pairs, 0.01)
    assert ts.summarize(pairs, t).stats is not None
    stats = ts.summarize(pairs, t).stats
    assert stats is not None
    assert stats.far <= 0.01
    assert pairs.histograms is not None
    assert sum(pairs.histograms.genuine) == 6 * 45


def test_large_folders_are_sampled_and_scaled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pair_module, "MAX_ALL_PAIRS", 100)  # the one sampling policy, for every caller
    monkeypatch.setattr(pair_module, "SAMPLE_PAIRS", 20_000)
    v = _unit(np.random.default_rng(4), 50)
    exact, _, _ = _loop_counts(v, [None] * 50, 1.3)
    summary = ts.summarize(ts.folder_pairs(v, [None] * 50), 1.3)
    assert summary.estimated
    assert abs(summary.matching_pairs - exact) < 0.08 * 1225


def _triu_reference(v: np.ndarray) -> np.ndarray:
    """The previous implementation: the full matrix, then np.triu_indices."""
    sq = (v * v).sum(1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (v @ v.T)
    i, j = np.triu_indices(len(v), k=1)
    return np.sqrt(np.maximum(d2[i, j], 0.0))


def test_all_pairs_in_small_blocks_equal_the_full_matrix_on_real_embeddings(
    projection_model_path: Path, image_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v, _ = embed_cards(projection_model_path, image_data, n_classes=6)
    monkeypatch.setattr(distances, "BLOCK_ELEMENTS", 7 * len(v))  # 7 rows a block: many blocks
    got = pair_module.measure_pairs(v, [None] * len(v)).distances
    want = _triu_reference(v)
    assert len(got) == len(v) * (len(v) - 1) // 2
    np.testing.assert_allclose(got, want, atol=5e-5)  # same pairs, same order; float32 GEMM rounding
