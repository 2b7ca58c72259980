"""Embed preloaded uint8 images with a torch model, batched, as the engine would feed them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from lookalike.engine.images.preprocessing import Preprocessing
from lookalike.train.data.normalization import normalize_torch


@torch.no_grad()
def embed_images(
    model: torch.nn.Module,
    images: np.ndarray,
    prep: Preprocessing,
    device: torch.device,
    forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> np.ndarray:
    """uint8 NHWC → float32 (N, dim) in eval mode (BatchNorm uses its running statistics)."""
    was_training = model.training
    model.eval()
    out: list[np.ndarray] = []
    for start in range(0, len(images), 128):
        chunk = torch.from_numpy(images[start : start + 128]).to(device)
        out.append((forward or model)(normalize_torch(chunk, prep)).float().cpu().numpy())
    model.train(was_training)
    if not out:
        raise ValueError("no images to embed")
    return np.concatenate(out)
