"""The raw-pixel baseline: nearest neighbour on 32×32 pixels, the bar a trained model must clear."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from lookalike.engine.images.preprocessing import Preprocessing
from lookalike.train.data.preload import preload

RAW_SIZE = 32


def raw_pixel_vectors(paths: Sequence[str], resize: str) -> tuple[np.ndarray, list[int]]:
    """Flattened 32×32 RGB in [0, 1] per readable image, and the indices that were readable."""
    prep = Preprocessing(input_size=RAW_SIZE, resize=resize)
    images, _ = preload(paths, [str(i) for i in range(len(paths))], prep)
    kept = [int(s) for s in images.labels]
    vectors = images.images.reshape(len(images), -1).astype(np.float32) / 255.0
    return vectors, kept
