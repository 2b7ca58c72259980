"""knn against a brute-force numpy argsort, block boundaries included."""

from __future__ import annotations

from pathlib import Path

import lookalike.engine.search.neighbours as neighbours
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lookalike.engine.search.neighbours import knn

from tests.engine.card_embeddings import embed_cards


def _brute(
    base: np.ndarray, k: int, queries: np.ndarray, exclude: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Every distance in float64, self removed, argsort: the slow answer knn must give."""
    d = np.sqrt(((queries[:, None, :].astype(np.float64) - base[None, :, :]) ** 2).sum(-1))
    if exclude is not None:
        d[np.arange(len(queries)), exclude] = np.inf
    order = np.argsort(d, axis=1, kind="stable")
    k_eff = min(k, len(base) - (exclude is not None))
    idx = order[:, :k_eff]
    return idx, np.take_along_axis(d, idx, axis=1)


@pytest.fixture(scope="module")
def cards(projection_model_path: Path, image_data: Path) -> np.ndarray:
    return embed_cards(projection_model_path, image_data, n_classes=8)[0]


def test_knn_on_real_embeddings_matches_brute_force(cards: np.ndarray) -> None:
    idx, dist = knn(cards, k=10)
    want_i, want_d = _brute(cards, 10, cards, np.arange(len(cards)))
    np.testing.assert_allclose(dist, want_d, atol=1e-5)
    # Indices must agree except where two neighbours are (numerically) tied.
    tied = np.abs(np.diff(want_d, axis=1, append=np.inf)) < 1e-5
    tied |= np.roll(tied, 1, axis=1)
    assert ((idx == want_i) | tied).all()
    assert (idx != np.arange(len(cards))[:, None]).all()
    assert (np.diff(dist, axis=1) >= 0).all()


@pytest.mark.parametrize("rows", [1, 7, 64, 10_000])
def test_block_boundaries_do_not_change_the_answer(monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    rng = np.random.default_rng(3)
    base = rng.standard_normal((150, 12)).astype(np.float32)
    queries = rng.standard_normal((61, 12)).astype(np.float32)
    monkeypatch.setattr(neighbours, "BLOCK_BYTES", 4 * len(base) * rows)
    for q, excl in ((None, np.arange(150)), (queries, None), (base[40:101], np.arange(40, 101))):
        idx, dist = knn(base, 6, queries=q, exclude_self=None if q is None else excl)
        want_i, want_d = _brute(base, 6, base if q is None else q, excl)
        np.testing.assert_array_equal(idx, want_i)
        np.testing.assert_allclose(dist, want_d, atol=1e-5)


@pytest.mark.parametrize("k", [1, 10, 50])
def test_large_sets_match_brute_force(k: int) -> None:
    """Enough columns (12k) for any shortcut the search takes on wide rows, duplicates included."""
    rng = np.random.default_rng(k)
    base = rng.standard_normal((12_000, 8)).astype(np.float32)
    base[6000:6200] = base[:200]  # exact duplicates: ties and zero distances
    own = np.array([0, 5, 199, 6000, 7777, 11_999])
    idx, dist = knn(base, k, queries=base[own], exclude_self=own)
    want_i, want_d = _brute(base, k, base[own], own)
    np.testing.assert_allclose(dist, want_d, atol=1e-5)
    assert dist[0, 0] == 0.0  # row 0's duplicate, found exactly
    assert idx[0, 0] == 6000
    ext = rng.standard_normal((20, 8)).astype(np.float32)
    idx, dist = knn(base, k, queries=ext)
    want_i, want_d = _brute(base, k, ext, None)
    np.testing.assert_allclose(dist, want_d, atol=1e-5)
    np.testing.assert_array_equal(idx, want_i)


@settings(max_examples=50, deadline=None, database=None)
@given(
    n=st.integers(1, 40),
    n_queries=st.integers(0, 12),
    dim=st.integers(1, 9),
    k=st.integers(0, 45),
    block_rows=st.integers(1, 5),
    duplicates=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_knn_property(
    n: int, n_queries: int, dim: int, k: int, block_rows: int, duplicates: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n, dim)).astype(np.float32)
    if duplicates:
        base[n // 2 :] = base[: n - n // 2]  # exact ties
    queries = rng.standard_normal((n_queries, dim)).astype(np.float32)
    old = neighbours.BLOCK_BYTES
    neighbours.BLOCK_BYTES = 4 * n * block_rows
    try:
        own_i, own_d = knn(base, k)
        ext_i, ext_d = knn(base, k, queries=queries)
    finally:
        neighbours.BLOCK_BYTES = old
    for i, d, q, excl in ((own_i, own_d, base, np.arange(n)), (ext_i, ext_d, queries, None)):
        want_i, want_d = _brute(base, k, q, excl)
        assert i.shape == want_i.shape
        np.testing.assert_allclose(d, want_d, atol=1e-4)
        # Whatever the tie order, each index must sit at the distance reported for it.
        true_d = np.sqrt(((q[:, None, :].astype(np.float64) - base[i]) ** 2).sum(-1))
        np.testing.assert_allclose(d, true_d, atol=1e-4)
        if excl is not None and i.size:
            assert (i != excl[:, None]).all()
        assert all(len(set(row)) == len(row) for row in i.tolist())


def test_k_larger_than_the_set_and_k_zero() -> None:
    base = np.eye(4, dtype=np.float32)
    idx, dist = knn(base, 10)
    assert idx.shape == (4, 3)
    assert dist.shape == (4, 3)
    np.testing.assert_allclose(dist, np.sqrt(2), atol=1e-6)
    idx, _ = knn(base, 10, queries=base[:2])
    assert idx.shape == (2, 4)
    assert (idx[:, 0] == [0, 1]).all()
    assert knn(base, 0)[0].shape == (4, 0)
    assert knn(base[:1], 3)[0].shape == (1, 0)


def test_external_query_identical_to_a_row_finds_it_at_distance_zero(cards: np.ndarray) -> None:
    idx, dist = knn(cards, 3, queries=cards[[17]])
    assert idx[0, 0] == 17
    assert dist[0, 0] == pytest.approx(0.0, abs=1e-3)
    idx, _ = knn(cards, 3, queries=cards[[17]], exclude_self=np.array([17]))
    assert 17 not in idx[0]


def test_a_float64_ranking_widens_the_base_a_chunk_at_a_time_with_the_same_order(
    cards: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ranked_rows keeps float32 rows and widens them in chunks (no whole float64 copy of a big
    folder): chunk boundaries inside the base must not change a single rank."""
    queries = np.arange(0, len(cards), 3)
    whole = neighbours.ranked_rows(cards, 15, cards[queries], exclude_self=queries)
    monkeypatch.setattr(neighbours, "WIDEN_ROWS", 7)  # many chunks, none aligned with anything
    chunked = neighbours.ranked_rows(cards, 15, cards[queries], exclude_self=queries)
    np.testing.assert_array_equal(chunked, whole)
    want, _ = _brute(cards, 15, cards[queries], queries)
    np.testing.assert_array_equal(chunked[:, 0], want[:, 0])
    norms = neighbours.squared_norms(cards, np.dtype(np.float64))
    np.testing.assert_allclose(norms, (cards.astype(np.float64) ** 2).sum(1), rtol=1e-12)
