"""One search path for a folder: exact below FAISS_ABOVE, FAISS above it (recall >= 0.99 at k = 10
against exact search), exact again wherever FAISS cannot be imported."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
from lookalike.engine.search import vector_search
from lookalike.engine.search.neighbours import knn
from lookalike.engine.search.vector_search import (
    FAISS_ABOVE,
    FOLDER_RECALL,
    AnnSearch,
    ExactSearch,
    search_of,
    searcher_for,
)


def overlapping(n: int, dim: int = 32, spread: float = 0.6) -> np.ndarray:
    """Unit vectors around n/30 centres that overlap (near neighbours cross cluster borders)."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(max(1, n // 30), dim))
    x = centres[rng.integers(0, len(centres), n)] + spread * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


class Folder:
    """Anything with vectors is searched like a folder's embeddings."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / truth.shape[1] for f, t in zip(found, truth, strict=True)]))


def test_the_approximate_path_finds_what_exact_search_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    x = overlapping(4000)
    monkeypatch.setattr(vector_search, "FAISS_ABOVE", 1000)
    search = search_of(Folder(x))
    assert search.kind == vector_search.FOLDER_KIND
    every = np.arange(len(x))
    found_i, found_d = search.search(x, 10, exclude_self=every)
    want_i, want_d = knn(x, 10)
    assert recall(found_i, want_i) >= FOLDER_RECALL
    assert not (found_i == every[:, None]).any()
    assert (np.diff(found_d, axis=1) >= 0).all()  # best first
    same = found_i == want_i  # a row found at the same rank has the exact search's distance
    np.testing.assert_allclose(found_d[same], want_d[same], rtol=0, atol=1e-6)


def test_near_duplicates_keep_their_exact_distance_through_faiss(monkeypatch: pytest.MonkeyPatch) -> None:
    x = overlapping(3000)
    x[1] = x[0]  # an exact copy: FAISS's own float32 distance comes out around 1e-3, not 0
    monkeypatch.setattr(vector_search, "FAISS_ABOVE", 1000)
    idx, dist = search_of(Folder(x)).search(x[:1], 3, exclude_self=np.array([0]))
    assert idx[0, 0] == 1
    assert dist[0, 0] == 0.0


def test_the_switch_over_point_is_where_faiss_takes_every_query() -> None:
    below = overlapping(FAISS_ABOVE - 1, dim=16, spread=0.2)
    at = np.concatenate([below, below[:1]])
    assert searcher_for(below).kind == "exact"
    folder = Folder(at)
    search = search_of(folder)
    assert search.kind == vector_search.FOLDER_KIND
    assert search_of(folder) is search  # built once, kept for every later query
    idx, _ = search.search(at[5:6], 12, exclude_self=np.array([5]))  # one query, as the app asks
    want, _ = knn(at, 12, queries=at[5:6], exclude_self=np.array([5]))
    assert len(set(idx[0]) & set(want[0])) >= 11


def test_without_faiss_every_size_is_searched_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "faiss", None)  # `import faiss` now raises ImportError
    monkeypatch.setattr(vector_search, "FAISS_ABOVE", 1000)
    x = overlapping(3000)
    search = search_of(Folder(x))
    assert isinstance(search, ExactSearch)
    got_i, got_d = search.search(x[:50], 10, exclude_self=np.arange(50))
    want_i, want_d = knn(x, 10, queries=x[:50], exclude_self=np.arange(50))
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_array_equal(got_d, want_d)


def test_faiss_pads_short_answers_with_minus_one() -> None:
    import faiss

    x = overlapping(5, dim=8)
    index = faiss.IndexFlatL2(8)
    index.add(x)
    idx, dist = AnnSearch(index, "Flat", x).search(x[:1], 10, exclude_self=np.array([0]))
    assert idx.shape == (1, 4)
    assert 0 not in idx[0]
    assert np.isfinite(dist).all()


def test_vectors_without_clusters_keep_exact_search(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4000, 64))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)  # no structure for IVF
    monkeypatch.setattr(vector_search, "FAISS_ABOVE", 1000)
    assert searcher_for(x).kind == "exact"  # most lists probed for recall 0.99: one GEMM is faster


def test_many_queries_are_answered_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    x = overlapping(3000)
    monkeypatch.setattr(vector_search, "FAISS_ABOVE", 1000)
    search = search_of(Folder(x))
    whole_i, whole_d = search.search(x, 10, exclude_self=np.arange(len(x)))
    monkeypatch.setattr(vector_search, "QUERY_BLOCK", 128)
    part_i, part_d = search.search(x, 10, exclude_self=np.arange(len(x)))
    np.testing.assert_array_equal(part_i, whole_i)
    np.testing.assert_array_equal(part_d, whole_d)


def test_where_8_bit_codes_miss_the_recall_the_folder_gets_full_vectors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without re-ranking, 8-bit codes of 16 numbers cap recall@10 near 0.98 (measured): the folder
    must then fall back to IVF-Flat rather than show fewer true neighbours than it promises."""
    from lookalike.engine.search import vector_index

    x = overlapping(10_000, dim=16, spread=0.2)
    monkeypatch.setattr(vector_index, "RERANK_EXTRA", 0)
    search = searcher_for(x)
    assert search.kind == "IVF-Flat"
    monkeypatch.setattr(vector_index, "RERANK_EXTRA", 10)
    assert searcher_for(x).kind == vector_search.FOLDER_KIND  # re-ranked, the codes reach it


def test_a_query_that_does_not_wait_is_answered_exactly_while_the_index_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The app's first click on a big folder must not wait seconds for the index its opening
    started: until the index is there, wait=False answers by exact search and builds nothing."""
    x = overlapping(3000)
    monkeypatch.setattr(vector_search, "FAISS_ABOVE", 1000)
    building, release, builds = threading.Event(), threading.Event(), []

    def slow_build(vectors: np.ndarray) -> vector_search.VectorSearch:
        builds.append(threading.current_thread())
        building.set()
        assert release.wait(30)
        return searcher_for(vectors)

    monkeypatch.setattr(vector_search, "searcher_for", slow_build)
    folder = Folder(x)
    opening = threading.Thread(target=search_of, args=(folder,))
    opening.start()
    assert building.wait(30)
    now = search_of(folder, wait=False)
    assert isinstance(now, ExactSearch)
    idx, dist = now.search(x[7:8], 10, exclude_self=np.array([7]))
    want_i, want_d = knn(x, 10, queries=x[7:8], exclude_self=np.array([7]))
    np.testing.assert_array_equal(idx, want_i)
    np.testing.assert_allclose(dist, want_d, atol=1e-6)
    assert opening.is_alive()  # answered while the build was still held
    release.set()
    opening.join(30)
    built = search_of(folder, wait=False)
    assert isinstance(built, AnnSearch)
    assert built is search_of(folder)
    assert builds == [opening]  # the query that did not wait built nothing


def test_a_small_folder_is_searched_the_same_whether_or_not_a_query_waits() -> None:
    x = overlapping(500)
    folder = Folder(x)
    assert search_of(folder, wait=False) is search_of(folder)  # exact, made once and kept
