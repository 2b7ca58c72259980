"""t-SNE map of embeddings to 2-D: openTSNE (FFT-accelerated) by default, scikit-learn as reference.

Above MAX_MAP_POINTS a seeded subsample is mapped and the caller is told, as TensorBoard's
projector does, since t-SNE beyond that is no longer interactive on a laptop.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from lookalike.engine.errors import CancelledError, MetricsError
from lookalike.engine.folder.embedding import CancelFlag
from lookalike.engine.metrics.sampling import MAX_MAP_POINTS, sample_rows

TOTAL_ITERS = 750  # openTSNE: 250 early exaggeration + 500
PARALLEL_ABOVE = 5000  # points; below this spinning OpenMP threads cost more than they save
PASSIVE_PARALLEL_ABOVE = 1000  # points, where idle OpenMP threads sleep (OMP_WAIT_POLICY=passive)
FFT_ABOVE = 3000  # points; Barnes-Hut is faster below, the FFT grid above (bench/README.md)
FFT_INTS_IN_INTERVAL = 2  # openTSNE's default 1 makes a 4x finer FFT grid that trustworthiness does not need


@dataclass(frozen=True)
class Projection:
    """2-D coordinates for `indices` (rows of the embedding matrix; all rows unless subsampled)."""

    points: np.ndarray
    indices: np.ndarray
    n_total: int
    method: str

    @property
    def subsampled(self) -> bool:
        """True when only a sample of the images is mapped."""
        return len(self.indices) < self.n_total


def tsne_2d(
    vectors: np.ndarray,
    seed: int = 0,
    method: str = "opentsne",
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelFlag | None = None,
    max_points: int = MAX_MAP_POINTS,
) -> Projection:
    """Map embeddings to 2-D with PCA initialisation and a fixed seed (same input, same map)."""
    n = len(vectors)
    if n < 3:
        raise MetricsError(f"a map needs at least 3 images, got {n}")
    idx = sample_rows(n, max_points, seed)
    x = np.asarray(vectors)[idx].astype(np.float64)  # the sample widened, not the folder (1.2 GB at 100k)
    perplexity = float(min(30.0, max(2.0, (len(x) - 1) / 3.0)))
    if method == "sklearn":
        pts = _sklearn(x, seed, perplexity)
    else:
        pts = _opentsne(x, seed, perplexity, progress, cancel)
    if progress:
        progress(TOTAL_ITERS, TOTAL_ITERS)
    return Projection(pts.astype(np.float32), idx, n, method)


def _sklearn(x: np.ndarray, seed: int, perplexity: float) -> np.ndarray:
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    tsne = TSNE(2, perplexity=perplexity, init="pca", random_state=seed)
    with threadpool_limits(_threads(len(x)), user_api="openmp"):  # same spinning threads as openTSNE
        return np.asarray(tsne.fit_transform(x))


def _threads(n: int) -> int:
    """One thread for small maps: OpenMP threads (openTSNE's and scikit-learn's) spin while they
    wait; on a busy 2-core machine a 120-point openTSNE map took 30 s with two threads against 1.5 s
    with one, and scikit-learn 300 points 21 s against 3.5 s. Where OMP_WAIT_POLICY=passive makes
    idle threads sleep instead (the map's child process sets it before OpenMP loads), every core
    pays off from about a thousand points: 2,700 points took 5.8 s with two threads against 8.2 s
    with one on an idle 2-core machine, 11 s against 13 s beside two busy processes."""
    passive = os.environ.get("OMP_WAIT_POLICY", "").lower() == "passive"
    return 1 if n < (PASSIVE_PARALLEL_ABOVE if passive else PARALLEL_ABOVE) else min(os.cpu_count() or 1, 8)


def _gradient_options(n: int) -> dict[str, object]:
    """Barnes-Hut for small maps; above, the FFT method with a coarser grid. Numpy's FFT (openTSNE
    without FFTW) spent 90 % of a 10k map in its default grid; the coarser one is several times
    faster with equal trustworthiness (bench/app/tsne_map.py). The learning rate is scikit-learn's
    'auto' rule (N / 48), which keeps the map compact (a smaller FFT grid) and neighbourhoods
    tighter than openTSNE's N / 12."""
    options: dict[str, object] = {"learning_rate": max(n / 48.0, 50.0)}
    if n < FFT_ABOVE:
        return {**options, "negative_gradient_method": "bh"}
    return {**options, "negative_gradient_method": "fft", "ints_in_interval": FFT_INTS_IN_INTERVAL}


def _affinities(x: np.ndarray, perplexity: float, n_jobs: int) -> object:
    """t-SNE input affinities from exact neighbours (engine.search.neighbours.knn: faster than openTSNE's
    approximate Annoy index on these sizes, and exact neighbours keep the map more trustworthy)."""
    from lookalike.engine.search.neighbours import knn
    from openTSNE.affinity import PerplexityBasedNN
    from openTSNE.nearest_neighbors import PrecomputedNeighbors

    idx, dist = knn(x, min(len(x) - 1, int(3 * perplexity)))
    index = PrecomputedNeighbors(idx, dist.astype(np.float64))
    return PerplexityBasedNN(perplexity=perplexity, knn_index=index, n_jobs=n_jobs, verbose=False)


def _opentsne(
    x: np.ndarray,
    seed: int,
    perplexity: float,
    progress: Callable[[int, int], None] | None,
    cancel: CancelFlag | None,
) -> np.ndarray:
    import openTSNE

    done = [0]

    def callback(iteration: int, error: float, embedding: object) -> bool:
        done[0] += 25
        if progress:
            progress(min(done[0], TOTAL_ITERS - 1), TOTAL_ITERS)
        return bool(cancel is not None and cancel.is_set())

    tsne = openTSNE.TSNE(
        perplexity=perplexity,
        initialization="pca",
        random_state=seed,
        n_jobs=_threads(len(x)),
        **_gradient_options(len(x)),
        callbacks=callback,
        callbacks_every_iters=25,
        verbose=False,
    )
    emb = tsne.fit(x, affinities=_affinities(x, perplexity, _threads(len(x))))
    if cancel is not None and cancel.is_set():
        raise CancelledError("map cancelled")
    return np.asarray(emb)
