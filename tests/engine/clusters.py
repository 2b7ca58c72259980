"""Labelled Gaussian blobs for metric tests: vectors with a known class structure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def clustered(seed: int, sizes: Sequence[int], dim: int, spread: float) -> tuple[np.ndarray, list[str]]:
    """One blob per class (`sizes[k]` images of class `c{k}`), overlapping so metrics are not all 1."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((len(sizes), dim))
    vecs = np.concatenate(
        [c + spread * rng.standard_normal((n, dim)) for c, n in zip(centres, sizes, strict=True)]
    )
    return vecs.astype(np.float32), [f"c{k}" for k, n in enumerate(sizes) for _ in range(n)]
