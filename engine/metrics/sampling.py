"""The sampling policy: every limit past which a seeded sample stands in for all rows, and the one
way such a sample of rows is drawn.

The limits sit side by side so the trade each makes (time or memory bounded, an estimate or a
partial picture instead of the whole) can be read and weighed in one place. Every sample of rows
is drawn by `sample_rows`: seeded, so the same folder gives the same figures and two models are
scored on the same rows; sorted, so sampled rows keep the folder's order as unsampled ones do.
Limits that bound memory or input rather than choose a sample (close pairs, file sizes, pixels)
stay beside the code they guard.
"""

from __future__ import annotations

import numpy as np

# Pair statistics (engine.metrics.pair_distances): every pair is measured up to MAX_ALL_PAIRS
# (8 M pairs, about 4,000 images), a seeded sample past it, so calibration stays bounded at 100k
# images. Counts and precision from the sample are estimates, and the app says so: the precision
# it displays was within 0.021 of the all-pairs figure on every held-out set
# (bench/results/threshold_precision.md).
MAX_ALL_PAIRS = 8_000_000
SAMPLE_PAIRS = 4_000_000  # uniform pairs; same-class pairs drawn on purpose: SAMPLE_PAIRS // 4
SAMPLE_BLOCKS = 16  # sampled pairs come in this many random blocks (see pair_distances._sampled_pairs)

# Retrieval metrics (engine.metrics.retrieval): past SAMPLE_QUERIES eligible queries a seeded sample
# of them is scored, and the report states its error (error_95).
SAMPLE_QUERIES = 2_000  # per-query scores lie in [0, 1]: the 95 % half-width is at most 0.022 at 2,000

# An index's all-pairs metrics and pair statistics (engine.index.reader.metrics_sample) use a seeded
# sample of this many rows; the report says so, and its figures are the sample's. On 20,000 vectors
# `evaluate` peaks at 238 MB (docs/SCALE.md).
MAX_INDEX_METRICS_ROWS = 20_000

# The t-SNE map (engine.map.projection): above this many images a seeded sample is mapped and the
# map says so, as TensorBoard's projector does, since t-SNE beyond it is no longer interactive on a
# laptop. Images left out are not on the map; neighbours, metrics and the threshold use every image.
MAX_MAP_POINTS = 20_000

# Duplicate calibration (engine.duplicates.calibration): at most this many images, an equal share
# per kind picked at random; all pairs of this many fit in ~70 MB of float64.
MAX_DUPLICATE_CALIBRATION_IMAGES = 3000


def sample_rows(n: int, limit: int, seed: int = 0) -> np.ndarray:
    """Indices into n rows: all of them (0..n-1) when n <= `limit`, else `limit` distinct rows drawn
    uniformly by numpy's default_rng(seed), ascending. Every caller draws this way so that a seed
    means the same rows wherever it is given."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))
