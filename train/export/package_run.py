"""Export a trained model with held-out calibration, and score it against the raw-pixel baseline."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from lookalike.engine.errors import MetricsError
from lookalike.engine.metrics.pair_distances import pair_distances
from lookalike.engine.metrics.retrieval import retrieval_metrics
from lookalike.engine.metrics.verification import calibrate_pairs
from lookalike.train.config import TrainConfig
from lookalike.train.data.preload import ImageSet
from lookalike.train.data.prepared import PreparedData, preprocessing_for
from lookalike.train.export.baseline import raw_pixel_vectors
from lookalike.train.export.onnx_export import build_manifest, export_onnx
from lookalike.train.export.quantize import calibration_sample, int8_path, quantize_int8
from lookalike.train.loop.checkpoint import RunState
from lookalike.train.loop.embed import embed_images
from lookalike.train.loop.validation import headline, headline_of, held_out_metrics, per_dataset
from lookalike.train.models.hybrid import HybridEmbedder
from lookalike.train.models.networks import count_parameters

PARITY_IMAGES = 16


@dataclass(frozen=True)
class ExportReport:
    """What the exported model scores on held-out classes, beside raw pixels."""

    path: Path
    metrics: dict[str, float]
    baseline: dict[str, float]
    per_dataset: dict[str, dict[str, dict[str, float]]]
    thresholds: dict[str, float]
    parity_diff: float
    int8: dict[str, float] | None = None
    int8_path: Path | None = None


def training_summary(
    data: PreparedData, cfg: TrainConfig, state: RunState, model: torch.nn.Module
) -> dict[str, Any]:
    """What the manifest says about how the model was made (data, split, schedule, config)."""
    return {
        **data.summary(),
        "datasets": [Path(p).name for p in cfg.data],
        "val_class_names": list(data.split.val),
        "best_epoch": state.best_epoch,
        "epochs_run": state.epoch,
        "train_seconds": round(state.train_seconds, 1),
        "parameters": count_parameters(model),
        "config": json.loads(cfg.to_json()),
    }


def export_trained(
    model: torch.nn.Module,
    cfg: TrainConfig,
    data: PreparedData,
    training: dict[str, Any],
    out: Path,
    forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> ExportReport:
    """Embed held-out images, calibrate, compare with raw pixels, export and parity-check.

    With cfg.int8, also write the int8 model beside `out` (activation ranges from the training
    images) and score it on the same held-out images through ONNX Runtime.
    """
    val = data.val
    int8_from = data.train.images if cfg.int8 else None
    prep = preprocessing_for(cfg)
    model = model.cpu().eval()
    vectors = embed_images(model, val.images, prep, torch.device("cpu"), forward)
    pairs = pair_distances(vectors, val.labels)  # measured once: headline and calibration share them
    metrics = headline_of(vectors, val.labels, pairs)
    raw, raw_labels = _raw(val, cfg.resize)
    baseline = _retrieval(raw, raw_labels)
    datasets = _per_dataset(vectors, val.labels, raw, raw_labels)
    calibration = calibrate_pairs(pairs)
    manifest_metrics = {
        "held_out": metrics,
        "raw_pixels_32": baseline,
        "per_dataset": datasets,
        "eer": calibration.eer,
        "best_accuracy": calibration.best_accuracy,
    }
    dim = int(vectors.shape[1])
    version = f"{Path(cfg.out).name}-e{training.get('best_epoch', 0)}"
    manifest = build_manifest(prep, dim, calibration, training, manifest_metrics, version)
    if isinstance(model, HybridEmbedder):  # its parts mean something alone (the pixel gate reads one)
        manifest = replace(manifest, parts=model.embedding_parts())
    check = val.images[np.linspace(0, len(val) - 1, PARITY_IMAGES).astype(int)]
    diff = export_onnx(model, manifest, out, check)
    add_duplicate_calibration(out, val, cfg.seed)
    thresholds = {k: float(v) for k, v in calibration.thresholds.items()}
    report = ExportReport(out, metrics, baseline, datasets, thresholds, diff)
    if int8_from is None:
        return report
    q = quantize_int8(out, int8_path(out), calibration_sample(int8_from, cfg.seed), prep)
    return replace(report, int8=onnx_metrics(q, val), int8_path=q)


def add_duplicate_calibration(model_path: Path, val: ImageSet, seed: int) -> None:
    """Calibrate the "same picture" thresholds on near-copies of the held-out images' files, and
    write them into the exported file's manifest (the int8 copy made after inherits them)."""
    from lookalike.engine.duplicates.calibration import calibrate_duplicates
    from lookalike.engine.images.loading import load_image
    from lookalike.engine.model.embedder import Embedder
    from lookalike.engine.model.manifest import PIXELS_PART
    from lookalike.train.export.recalibrate import write_manifest

    embedder = Embedder(model_path, device="cpu")
    images = [load_image(p) for p in val.paths]
    m = embedder.manifest
    found = calibrate_duplicates(
        embedder.embed_image, images, list(val.labels), seed, m.parts.get(PIXELS_PART)
    )
    metrics = {**m.metrics, "duplicates": found.figures()}
    write_manifest(model_path, replace(m, thresholds={**m.thresholds, **found.thresholds()}, metrics=metrics))


def onnx_metrics(path: Path, val: ImageSet) -> dict[str, float]:
    """Held-out headline metrics of an exported model file, run by the engine's own Embedder."""
    from lookalike.engine.model.embedder import Embedder

    embedder = Embedder(path, device="cpu")
    chunks = [embedder.embed_batch(val.images[i : i + 64]) for i in range(0, len(val), 64)]
    return headline(held_out_metrics(np.concatenate(chunks), val.labels))


def _raw(val: ImageSet, resize: str) -> tuple[np.ndarray, list[str]]:
    vectors, kept = raw_pixel_vectors(val.paths, resize)
    return vectors, [val.labels[i] for i in kept]


def _retrieval(vectors: np.ndarray, labels: list[str]) -> dict[str, float]:
    """precision@1 and MAP@R only: what the raw-pixel comparison is about."""
    r = retrieval_metrics(vectors, labels)
    return {
        "precision_at_1": r.precision_at_1,
        "mean_average_precision_at_r": r.mean_average_precision_at_r,
    }


def _per_dataset(
    vectors: np.ndarray, labels: tuple[str, ...], raw: np.ndarray, raw_labels: list[str]
) -> dict[str, dict[str, dict[str, float]]]:
    """Trained vs raw pixels per dataset root (only for multi-root runs)."""
    trained = per_dataset(vectors, labels)
    out: dict[str, dict[str, dict[str, float]]] = {}
    prefixes = np.array([lab.split("/", 1)[0] for lab in raw_labels])
    for name, report in trained.items():
        idx = np.flatnonzero(prefixes == name)
        try:
            base = _retrieval(raw[idx], [raw_labels[i] for i in idx])
        except MetricsError:
            continue
        out[name] = {"trained": headline(report), "raw_pixels_32": base}
    return out
