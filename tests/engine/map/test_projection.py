"""t-SNE to 2-D: shape, determinism, clusters kept, subsampling, progress and cancel."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from lookalike.engine.errors import CancelledError, MetricsError
from lookalike.engine.map.projection import TOTAL_ITERS, tsne_2d


def _blobs(n_per: int = 30, classes: int = 4, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = 6.0 * rng.standard_normal((classes, dim))
    x = np.concatenate([c + rng.standard_normal((n_per, dim)) for c in centres]).astype(np.float32)
    return x, np.repeat(np.arange(classes), n_per)


def _neighbour_agreement(points: np.ndarray, labels: np.ndarray) -> float:
    """Share of points whose nearest 2-D neighbour has their class: clusters must survive the map."""
    d = ((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float((labels[d.argmin(1)] == labels).mean())


def test_map_keeps_clusters_and_is_deterministic() -> None:
    x, labels = _blobs()
    first = tsne_2d(x, seed=3)
    assert first.points.shape == (120, 2)
    assert first.points.dtype == np.float32
    assert np.isfinite(first.points).all()
    assert first.indices.tolist() == list(range(120))
    assert (first.n_total, first.method, first.subsampled) == (120, "opentsne", False)
    assert _neighbour_agreement(first.points, labels) > 0.95
    again = tsne_2d(x, seed=3)
    np.testing.assert_allclose(again.points, first.points, atol=1e-4)


def test_sklearn_reference_method_also_keeps_clusters() -> None:
    x, labels = _blobs(n_per=20, classes=3)
    proj = tsne_2d(x, seed=0, method="sklearn")
    assert proj.points.shape == (60, 2)
    assert proj.method == "sklearn"
    assert _neighbour_agreement(proj.points, labels) > 0.95


def test_large_sets_are_subsampled_with_a_seed() -> None:
    x, labels = _blobs(n_per=40)
    proj = tsne_2d(x, seed=1, max_points=60)
    assert proj.subsampled
    assert proj.n_total == 160
    assert len(proj.indices) == 60
    assert proj.points.shape == (60, 2)
    assert (np.diff(proj.indices) > 0).all()
    assert proj.indices.max() < 160
    np.testing.assert_array_equal(tsne_2d(x, seed=1, max_points=60).indices, proj.indices)
    assert _neighbour_agreement(proj.points, labels[proj.indices]) > 0.9


def test_progress_rises_to_the_end() -> None:
    x, _ = _blobs(n_per=15)
    seen: list[tuple[int, int]] = []
    tsne_2d(x, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 5
    assert seen[-1] == (TOTAL_ITERS, TOTAL_ITERS)
    done = [d for d, _ in seen]
    assert done == sorted(done)
    assert all(t == TOTAL_ITERS for _, t in seen)


def test_cancel_stops_the_map() -> None:
    x, _ = _blobs(n_per=15)
    cancel = threading.Event()
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        cancel.set()

    with pytest.raises(CancelledError):
        tsne_2d(x, progress=progress, cancel=cancel)
    assert len(calls) <= 2  # stopped at the first checkpoint, not after all iterations


@pytest.mark.parametrize("n", [0, 1, 2])
def test_too_few_points_are_refused(n: int) -> None:
    with pytest.raises(MetricsError, match="at least 3"):
        tsne_2d(np.zeros((n, 4), np.float32))


def test_very_small_set_still_maps() -> None:
    x, _ = _blobs(n_per=2, classes=3)
    proj = tsne_2d(x)
    assert proj.points.shape == (6, 2)
    assert np.isfinite(proj.points).all()
