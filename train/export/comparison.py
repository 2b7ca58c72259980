"""The model card's comparison: new model (fp32 and int8), previous model and raw pixels per held-out set.

Every figure is measured here, on the run's held-out classes: the int8 and previous models run
through the engine's Embedder on the image files, as the app would run them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lookalike.engine.errors import MetricsError
from lookalike.engine.metrics.retrieval import retrieval_metrics
from lookalike.train.config import TrainConfig
from lookalike.train.data.class_split import load_split
from lookalike.train.data.preload import dataset_of, list_dataset
from lookalike.train.export.package_run import ExportReport

Scores = dict[str, float]
SPEED_BATCH = 64
SPEED_REPEATS = 5


@dataclass(frozen=True)
class ModelComparison:
    """Per held-out set: method → {precision_at_1, mean_average_precision_at_r}; and speeds."""

    per_set: dict[str, dict[str, Scores]]
    images_per_s: dict[str, float]


def compare_models(
    cfg: TrainConfig, report: ExportReport, previous: Path | None, log: Callable[[str], None]
) -> ModelComparison:
    """Score the int8 and previous models on the held-out files, beside the run's own figures."""
    paths, labels = held_out_files(cfg)
    per_set = {
        name: {"new": d["trained"], "raw pixels": d["raw_pixels_32"]}
        for name, d in report.per_dataset.items()
    }
    others = {"new int8": report.int8_path, "previous model": previous}
    speeds: dict[str, float] = {}
    for method, path in others.items():
        if path is None:
            continue
        log(f"scoring {method} ({path.name}) on {len(paths)} held-out files")
        vectors, speed = _embed_files(path, paths)
        speeds[method] = speed
        for name, scores in _per_set(vectors, labels).items():
            per_set.setdefault(name, {})[method] = scores
    speeds["new"] = _embed_files(report.path, paths[: SPEED_BATCH * 2])[1]
    return ModelComparison(per_set, speeds)


def held_out_files(cfg: TrainConfig) -> tuple[list[str], list[str]]:
    """The run's held-out image files and labels (split.json, exclusions applied)."""
    held = set(load_split(Path(cfg.out) / "split.json").val)
    listing = list_dataset(cfg.data, cfg.exclude)
    keep = [i for i, lab in enumerate(listing.labels) if lab in held]
    return [listing.paths[i] for i in keep], [listing.labels[i] for i in keep]


def _embed_files(model: Path, paths: list[str]) -> tuple[np.ndarray, float]:
    """Embeddings of files by the engine, and the model's inference speed on batches of them."""
    from lookalike.engine.images.loading import load_image
    from lookalike.engine.model.embedder import Embedder

    embedder = Embedder(model, device="cpu")
    size = embedder.manifest.preprocessing.input_size
    arrays = np.stack([embedder.prepare(load_image(p, min_side=size)) for p in paths])
    vectors = np.concatenate([embedder.embed_batch(arrays[i : i + 256]) for i in range(0, len(arrays), 256)])
    batch = arrays[:SPEED_BATCH]
    embedder.embed_batch(batch)
    start = time.perf_counter()
    for _ in range(SPEED_REPEATS):
        embedder.embed_batch(batch)
    return vectors, len(batch) * SPEED_REPEATS / (time.perf_counter() - start)


def _per_set(vectors: np.ndarray, labels: list[str]) -> dict[str, Scores]:
    groups = np.array([dataset_of(lab) for lab in labels])
    out: dict[str, Scores] = {}
    for name in sorted(set(groups.tolist())):
        idx = np.flatnonzero(groups == name)
        try:
            r = retrieval_metrics(vectors[idx], [labels[i] for i in idx])
        except MetricsError:
            continue
        out[name] = {
            "precision_at_1": r.precision_at_1,
            "mean_average_precision_at_r": r.mean_average_precision_at_r,
        }
    return out
