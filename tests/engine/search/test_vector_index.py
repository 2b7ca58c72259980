"""FAISS indexes as engine.search.vector_index builds them, checked against exact search."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("faiss")

from lookalike.engine.index.cluster_extra import MissingExtraError, require
from lookalike.engine.search.vector_index import build_ann, choose_kind, load_ann, recall_at_k, save_ann
from lookalike.engine.search.vector_search import AnnSearch, ExactSearch


def clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Unit vectors around n/50 centres, like embeddings of classes."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(1, n // 50), dim))
    x = centres[rng.integers(0, len(centres), n)] + 0.3 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_flat_answers_exactly_like_knn_and_survives_a_round_trip() -> None:
    x = clustered(2000)
    index, info = build_ann(x, kind="Flat")
    search = AnnSearch(load_ann(save_ann(index), info.params), info.kind)
    rows = np.arange(0, 2000, 97)
    got_i, got_d = search.search(x[rows], 7, exclude_self=rows)
    want_i, want_d = ExactSearch(x).search(x[rows], 7, exclude_self=rows)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_allclose(got_d, want_d, atol=1e-3)
    assert not (got_i == rows[:, None]).any()


def test_ivf_recall_is_measured_against_exact_search() -> None:
    x = clustered(20_000)
    index, info = build_ann(x, kind="IVF-Flat")
    assert info.params["nlist"] == int(np.sqrt(20_000))
    assert info.recall_at_10 >= 0.95  # nprobe was raised until it got there
    rows = np.random.default_rng(7).choice(len(x), 200, replace=False)
    truth, _ = ExactSearch(x).search(x[rows], 10, exclude_self=rows)
    found, _ = AnnSearch(load_ann(save_ann(index), info.params), info.kind).search(x[rows], 10, rows)
    measured = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert abs(measured - info.recall_at_10) < 0.05


def test_recall_counts_only_others_than_the_query() -> None:
    truth = np.array([[0, 1, 2, 3]])
    assert recall_at_k(np.array([[0, 1, 2, 9]]), truth, np.array([0]), 3) == pytest.approx(2 / 3)
    assert recall_at_k(np.array([[1, 2, 3, 0]]), truth, np.array([0]), 3) == 1.0


def test_kind_follows_size_and_memory() -> None:
    assert choose_kind(10_000, 128, 16 << 30) == "Flat"
    assert choose_kind(1_000_000, 128, 16 << 30) == "IVF-Flat"
    assert choose_kind(100_000_000, 128, 64 << 30) == "IVF-SQ8"  # 51 GB of floats, 12.8 GB of bytes
    assert choose_kind(100_000_000, 128, 16 << 30) == "IVF-PQ"  # not even bytes fit: 32-byte codes


def test_a_missing_extra_says_how_to_install_it() -> None:
    with pytest.raises(MissingExtraError, match=r"pip install 'lookalike\[cluster\]'"):
        require("lookalike_no_such_module")
