"""Real embeddings for metric tests: the carried card images through a real ONNX model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from lookalike.engine.images.loading import load_image
from lookalike.engine.model.embedder import Embedder


def embed_cards(model_path: Path, image_data: Path, n_classes: int = 12) -> tuple[np.ndarray, list[str]]:
    """(vectors, labels) for every image of `n_classes` card classes spread over the deck."""
    all_classes = sorted(p.name for p in (image_data / "cards").iterdir() if p.is_dir())
    classes = all_classes[:: max(1, len(all_classes) // n_classes)][:n_classes]
    embedder = Embedder(model_path, device="cpu")
    size = embedder.manifest.preprocessing.input_size
    files = [f for c in classes for f in sorted((image_data / "cards" / c).iterdir())]
    batch = np.stack([embedder.prepare(load_image(f, min_side=size)) for f in files])
    return embedder.embed_batch(batch), [f.parent.name for f in files]
