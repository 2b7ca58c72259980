"""The pair distances: the blocked path within its stated bound of the exact one, every exact path
giving the same numbers, and near-duplicates' tiny distances exact where they are shown."""

from __future__ import annotations

import math

import numpy as np
import pytest
from lookalike.engine.images.loading import load_image
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.search import distances
from lookalike.engine.search.distances import (
    condensed_distances,
    distance,
    distance_matrix,
    distances_to,
    gram_error,
    gram_reach,
    index_distances,
    triangle_blocks,
    triangle_distances,
)

from tests.real_data import DATA

U32 = 2.0**-24


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _reference(a: np.ndarray, b: np.ndarray) -> float:
    """Distance to the last bit: float32 differences are exact in float64, fsum sums exactly."""
    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    return math.sqrt(math.fsum((diff * diff).tolist()))


def _near_copies(v: np.ndarray, scale: float, seed: int) -> np.ndarray:
    """Each row nudged by about `scale` and renormalised: near-duplicates at d ~ scale."""
    rng = np.random.default_rng(seed)
    step = rng.standard_normal(v.shape) * scale / math.sqrt(v.shape[1])
    return _unit(v.astype(np.float64) + step)


@pytest.fixture(scope="module")
def real() -> np.ndarray:
    """The bundled model's embeddings (D = 1536) of real images, with near-copies at d ~ 1e-4 and
    1e-2 and exact copies: the pairs where the Gram form cancels most."""
    paths = sorted(DATA.glob("*/*/*.*"))[::7][:40]
    embedder = Embedder(default_model_path(), device="cpu")
    size = embedder.manifest.preprocessing.input_size
    v = embedder.embed_batch(np.stack([embedder.prepare(load_image(p, min_side=size)) for p in paths]))
    v = np.asarray(v, np.float32)
    return np.concatenate([v, _near_copies(v[:10], 1e-4, 0), _near_copies(v[10:20], 1e-2, 1), v[:5]])


def _exact_upper(v: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(len(v), 1)
    return np.array([_reference(v[a], v[b]) for a, b in zip(i, j, strict=True)])


@pytest.mark.parametrize("source", ["real", "random"])
def test_blocked_distances_are_within_the_stated_bound(
    source: str, real: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = real if source == "real" else _unit(np.random.default_rng(2).standard_normal((80, 1536)))
    monkeypatch.setattr(distances, "BLOCK_ELEMENTS", 9 * len(v))  # 9 rows a block: many blocks
    exact = _exact_upper(v)
    blocked = triangle_distances(v).astype(np.float64)
    delta = gram_error(v)
    assert delta == pytest.approx((4 * v.shape[1] + 8) * U32, rel=1e-5)  # unit rows: the docstring's delta
    bound = np.minimum(math.sqrt(delta), delta / np.maximum(exact, 1e-300)) + 4 * U32
    assert np.all(np.abs(blocked - exact) <= bound)
    # The bound is what a threshold cut needs: no pair exactly below t is lost to the blocked path.
    for t in (0.0, 1e-4, 0.01, 0.3, 0.75, 1.2):
        assert np.all(blocked[exact < t] < gram_reach(t, v))


def test_triangle_blocks_list_pairs_in_triu_order(real: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distances, "BLOCK_ELEMENTS", 5 * len(real))
    starts = [start for start, _, _ in triangle_blocks(real)]
    assert len(starts) > 3
    i, j = np.triu_indices(len(real), 1)
    delta = gram_error(real)
    np.testing.assert_allclose(triangle_distances(real), distance_matrix(real)[i, j], atol=math.sqrt(delta))


def test_tiny_distances_are_exact_on_the_exact_path(real: np.ndarray) -> None:
    originals, copies = real[:10], real[40:50]  # copies at d ~ 1e-4
    want = np.array([_reference(a, b) for a, b in zip(originals, copies, strict=True)])
    assert np.all((want > 2e-5) & (want < 1e-3))
    got = index_distances(originals, np.arange(10), np.arange(10), copies)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(
        [distance(a, b) for a, b in zip(originals, copies, strict=True)], want, rtol=1e-12
    )
    np.testing.assert_allclose(distance_matrix(real)[np.arange(10), 40 + np.arange(10)], want, rtol=1e-12)
    np.testing.assert_allclose(distances_to(copies, originals[3])[3], want[3], rtol=1e-12)
    assert distance(real[0], real[-5]) == 0.0  # an exact copy: exactly 0, where Gram reads ~1e-3
    assert distances_to(real, real[2])[2] == 0.0


def test_index_pairs_equal_the_matrix_entries(real: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    i, j = np.random.default_rng(3).integers(0, len(real), (2, 2000))
    matrix = distance_matrix(real)
    whole = index_distances(real, i, j)
    np.testing.assert_allclose(whole, matrix[i, j], rtol=1e-13, atol=1e-15)
    monkeypatch.setattr(distances, "BLOCK_ELEMENTS", 3 * real.shape[1])  # chunks of 3 pairs
    np.testing.assert_array_equal(index_distances(real, i, j), whole)  # chunking changes nothing
    np.testing.assert_array_equal(distances_to(real, real[7]), index_distances(real, 7, np.arange(len(real))))


def test_the_matrix_is_symmetric_zero_on_its_diagonal_and_condensed_is_its_triangle(real: np.ndarray) -> None:
    m = distance_matrix(real[:25])
    assert m.shape == (25, 25)
    np.testing.assert_array_equal(m, m.T)
    assert (np.diag(m) == 0).all()
    i, j = np.triu_indices(25, 1)
    np.testing.assert_array_equal(condensed_distances(real[:25]), m[i, j])
    for a, b in ((0, 1), (3, 17), (24, 2)):
        assert m[a, b] == pytest.approx(_reference(real[a], real[b]), rel=1e-12)
    assert distance_matrix(real[:1]).shape == (1, 1)
    assert distance_matrix(real[:0]).shape == (0, 0)


def test_index_distances_keep_the_shape_of_their_indices() -> None:
    v = _unit(np.random.default_rng(4).standard_normal((30, 8)))
    part = np.random.default_rng(5).integers(0, 30, (6, 4))
    got = index_distances(v[:6], np.arange(6)[:, None], part, v)  # each query against its own rows
    assert got.shape == (6, 4)
    assert got[2, 3] == pytest.approx(_reference(v[2], v[part[2, 3]]), rel=1e-12)
    assert index_distances(v, np.zeros(0, int), np.zeros(0, int)).shape == (0,)


def test_distance_is_euclidean() -> None:
    a = np.array([0.6, 0.8, 0.0], np.float32)
    b = np.array([0.0, 0.0, 1.0], np.float32)
    assert distance(a, b) == pytest.approx(np.sqrt(2.0))
    assert distance(a, a) == 0.0
    assert isinstance(distance(a, b), float)
