"""Realistic vectors for the FAISS benchmarks: the bundled model's embeddings of real images, and
synthetic vectors clustered like them (same dimension, same within-class spread).

Real: every image of the shared `cards` and `flags` datasets through the bundled model (3,710
images, 128-d). Synthetic: n/100 cluster centres, each a real embedding moved by the real spread,
and points around the centres with the real within-class spread per dimension; all L2-normalised
as the model's outputs are. The real vectors are part of every set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"


def real_embeddings() -> tuple[np.ndarray, list[str | None]]:
    """Bundled-model embeddings of the cards and flags datasets (cached after the first run)."""
    embedder = Embedder(default_model_path(), device="cpu")
    parts = [embed_folder(DATASETS / name, embedder) for name in ("cards", "flags")]
    labels: list[str | None] = [
        f"{name}/{lab}" for name, p in zip(("cards", "flags"), parts, strict=True) for lab in p.labels
    ]
    return np.concatenate([p.vectors for p in parts]), labels


def within_class_std(vectors: np.ndarray, labels: list[str | None]) -> np.ndarray:
    """Per-dimension spread of embeddings around their class mean."""
    lab = np.asarray([str(x) for x in labels])
    resid = np.concatenate([vectors[lab == c] - vectors[lab == c].mean(0) for c in np.unique(lab)])
    return np.asarray(resid.std(0), np.float32)


def clustered_like(real: np.ndarray, spread: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """n unit vectors: the real ones, then points around n/100 centres derived from real ones."""
    rng = np.random.default_rng(seed)
    n_syn = n - len(real)
    k = max(1, n // 100)
    centres = real[rng.integers(0, len(real), k)] + rng.normal(0, 1, (k, real.shape[1])) * spread
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((n, real.shape[1]), np.float32)
    out[: len(real)] = real
    step = 200_000
    for start in range(0, n_syn, step):
        m = min(step, n_syn - start)
        pts = (
            centres[rng.integers(0, k, m)] + rng.normal(0, 1, (m, real.shape[1])).astype(np.float32) * spread
        )
        out[len(real) + start : len(real) + start + m] = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    return out
