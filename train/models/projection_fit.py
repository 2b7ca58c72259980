"""Fit the hybrid embedder's part projections on the run's own training images, before training.

A balanced sample (the same number of images from each DATA folder, so one big set does not
decide the directions) goes through the frozen backbone once: in ONNX Runtime on a CPU (about
3× torch's speed there, see frozen_trunk.py), in torch on a GPU.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from lookalike.train.config import TrainConfig
from lookalike.train.data.normalization import normalize_torch
from lookalike.train.data.preload import dataset_of
from lookalike.train.data.prepared import PreparedData, preprocessing_for
from lookalike.train.models.frozen_trunk import export_module, ort_session
from lookalike.train.models.hybrid import HybridEmbedder

FIT_IMAGES = 1200  # enough for 256 components of each part; ~15 s through the trunk on 2 cores
BATCH = 128


class PartOutputs(torch.nn.Module):
    """The projected parts' inputs as a module with one output per part, for export."""

    def __init__(self, model: HybridEmbedder) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Unit-length rows of each backbone part."""
        return self.model.part_outputs(x)


def balanced_sample(labels: list[str], limit: int, seed: int) -> np.ndarray:
    """Indices: up to limit / (number of DATA folders) images from each folder, seeded."""
    roots = np.array([dataset_of(label) for label in labels])
    names = sorted(set(roots))
    rng = np.random.default_rng(seed)
    share = max(1, limit // max(1, len(names)))
    picked = [rng.permutation(np.flatnonzero(roots == n))[:share] for n in names]
    return np.sort(np.concatenate(picked))


def fit_projections(
    model: HybridEmbedder, data: PreparedData, cfg: TrainConfig, device: torch.device, folder: Path
) -> int:
    """Fit the model's projections on a balanced sample of data.train; returns the sample size."""
    idx = balanced_sample(list(data.train.labels), FIT_IMAGES, cfg.seed)
    prep = preprocessing_for(cfg)
    run = _runner(model, cfg.image_size, device, folder)
    outputs: list[list[torch.Tensor]] = []
    for start in range(0, len(idx), BATCH):
        x = normalize_torch(torch.from_numpy(data.train.images[idx[start : start + BATCH]]), prep)
        outputs.append(run(x.to(device)))
    model.fit_projections([torch.cat([o[i] for o in outputs]).cpu() for i in range(len(outputs[0]))])
    return len(idx)


def _runner(
    model: HybridEmbedder, size: int, device: torch.device, folder: Path
) -> Callable[[torch.Tensor], list[torch.Tensor]]:
    module = PartOutputs(model).eval()
    if device.type != "cpu":
        return lambda x: [t.detach() for t in module(x)]
    path = folder / "parts.onnx"
    export_module(module, size, path, [f"part{i}" for i in range(3)])
    session = ort_session(path, torch.get_num_threads())
    path.unlink(missing_ok=True)
    return lambda x: [torch.from_numpy(a) for a in session.run(None, {"images": x.numpy()})]
