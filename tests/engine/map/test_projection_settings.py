"""The map's speed settings: exact neighbour affinities, gradient method by size, FFT path still faithful."""

from __future__ import annotations

from typing import Any

import lookalike.engine.map.projection as projection
import numpy as np
import pytest
from lookalike.engine.map.projection import tsne_2d


def _clusters(n: int, dim: int = 24, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 6, n)
    x = rng.standard_normal((6, dim))[labels] * 3 + rng.standard_normal((n, dim))
    return x.astype(np.float32), labels


def test_affinities_from_engine_knn_equal_opentsne_exact_ones() -> None:
    from openTSNE.affinity import PerplexityBasedNN

    x, _ = _clusters(300)
    x64 = x.astype(np.float64)
    ours: Any = projection._affinities(x64, 20.0, 1)  # an openTSNE affinity object (untyped library)
    exact = PerplexityBasedNN(x64, perplexity=20.0, method="exact", n_jobs=1, random_state=0, verbose=False)
    mine, theirs = ours.P.toarray(), exact.P.toarray()
    np.testing.assert_allclose(mine, theirs, atol=1e-9)
    assert mine.sum() == pytest.approx(1.0)


def test_fft_path_keeps_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(projection, "FFT_ABOVE", 50)
    x, labels = _clusters(240, seed=3)
    seen: list[str] = []
    real = projection._gradient_options

    def spy(n: int) -> dict[str, object]:
        opts = real(n)
        seen.append(str(opts["negative_gradient_method"]))
        return opts

    monkeypatch.setattr(projection, "_gradient_options", spy)
    pts = tsne_2d(x, seed=0).points
    assert seen == ["fft"]
    from sklearn.neighbors import NearestNeighbors

    _, nn = NearestNeighbors(n_neighbors=6).fit(pts).kneighbors(pts)
    same = (labels[nn[:, 1:]] == labels[:, None]).mean()
    assert same > 0.95  # 2-D neighbours are almost all of the same cluster
