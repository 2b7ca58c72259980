"""knn's sampled-bound selection (large N) and its threaded blocks give the brute-force answer."""

from __future__ import annotations

import lookalike.engine.search.neighbours as neighbours
import numpy as np
import pytest
from lookalike.engine.search.neighbours import knn


def _brute(base: np.ndarray, k: int, queries: np.ndarray, exclude: np.ndarray | None) -> np.ndarray:
    d = np.sqrt(((queries[:, None, :].astype(np.float64) - base[None, :, :]) ** 2).sum(-1))
    if exclude is not None:
        d[np.arange(len(queries)), exclude] = np.inf
    return np.sort(d, axis=1)[:, :k]


def _sorted_clusters(n: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors in tight clusters, stored class after class (as a folder scan orders them)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n // 25, dim))
    x = np.repeat(centres, 25, axis=0) + 0.05 * rng.standard_normal((n // 25 * 25, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize(("sample", "k"), [(8, 1), (8, 5), (16, 12), (64, 30)])
def test_sampled_selection_matches_brute_force(monkeypatch: pytest.MonkeyPatch, sample: int, k: int) -> None:
    monkeypatch.setattr(neighbours, "SAMPLE_COLUMNS", sample)
    monkeypatch.setattr(neighbours, "BLOCK_BYTES", 4 * 600 * 37)  # 37-row blocks, several threads
    base = _sorted_clusters(600, 16, seed=k)
    idx, dist = knn(base, k)
    np.testing.assert_allclose(dist, _brute(base, k, base, np.arange(len(base))), atol=1e-5)
    true = np.sqrt(((base[:, None, :].astype(np.float64) - base[idx]) ** 2).sum(-1))
    np.testing.assert_allclose(dist, true, atol=1e-5)
    assert (idx != np.arange(len(base))[:, None]).all()
    assert all(len(set(row)) == k for row in idx.tolist())


def test_sampled_selection_with_exact_duplicates_and_external_queries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(neighbours, "SAMPLE_COLUMNS", 8)
    rng = np.random.default_rng(7)
    base = rng.standard_normal((400, 6)).astype(np.float32)
    base[200:] = base[:200]  # every image twice: ties at every rank
    queries = np.concatenate([base[:30], rng.standard_normal((30, 6)).astype(np.float32)])
    idx, dist = knn(base, 9, queries=queries)
    np.testing.assert_allclose(dist, _brute(base, 9, queries, None), atol=1e-5)
    assert (dist[:30, :2] == 0).all()  # a query equal to a row finds it and its duplicate at 0
    true = np.sqrt(((queries[:, None, :].astype(np.float64) - base[idx]) ** 2).sum(-1))
    np.testing.assert_allclose(dist, true, atol=1e-5)


def test_large_folder_sized_input_uses_the_sampled_path_and_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = neighbours._smallest_k

    def spy(key: np.ndarray, k: int) -> np.ndarray:
        calls.append(key.shape[1] // max(neighbours.SAMPLE_COLUMNS, 4 * k))
        return real(key, k)

    monkeypatch.setattr(neighbours, "_smallest_k", spy)
    base = _sorted_clusters(9000, 32, seed=1)
    idx, dist = knn(base, 10)
    assert min(calls) >= 4  # step >= 4: the bound is taken from a sample, not a full partition
    rows = np.random.default_rng(0).choice(len(base), 300, replace=False)
    want = _brute(base, 10, base[rows], rows)
    np.testing.assert_allclose(dist[rows], want, atol=1e-5)
    true = np.sqrt(((base[rows, None, :].astype(np.float64) - base[idx[rows]]) ** 2).sum(-1))
    np.testing.assert_allclose(dist[rows], true, atol=1e-5)
