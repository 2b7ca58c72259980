"""engine.images.preprocessing.normalize in torch, so augmented batches are fed exactly like inference."""

from __future__ import annotations

import torch
from lookalike.engine.images.preprocessing import Preprocessing


def to_unit(batch: torch.Tensor, prep: Preprocessing) -> torch.Tensor:
    """uint8 NHWC → float32 NCHW in [0, 1], in the manifest's channel order (augmentation works here)."""
    if prep.channel_order == "BGR":
        batch = batch.flip(-1)
    scale = torch.tensor(1.0 / 255.0, dtype=torch.float32)
    return (batch.to(torch.float32) * scale).permute(0, 3, 1, 2).contiguous()


def standardize(unit: torch.Tensor, prep: Preprocessing) -> torch.Tensor:
    """Apply the manifest's mean and std to a [0, 1] NCHW batch (same float32 ops as the engine)."""
    mean = torch.tensor(prep.mean, dtype=torch.float32, device=unit.device).view(1, 3, 1, 1)
    std = torch.tensor(prep.std, dtype=torch.float32, device=unit.device).view(1, 3, 1, 1)
    return (unit - mean) / std


def normalize_torch(batch: torch.Tensor, prep: Preprocessing) -> torch.Tensor:
    """uint8 NHWC → the model input, equal to engine.images.preprocessing.normalize."""
    return standardize(to_unit(batch, prep), prep)
