"""Batched train-time augmentation on tensors: one affine warp plus colour jitter per image."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: N812 - the conventional name
from lookalike.train.config import AugmentConfig


def augment(unit: torch.Tensor, cfg: AugmentConfig, pad: float, generator: torch.Generator) -> torch.Tensor:
    """Random resized crop, rotation, optional flip and colour jitter on a [0, 1] NCHW batch."""
    if not cfg.enabled:
        return unit
    n = unit.shape[0]
    theta = _affine(n, cfg, generator).to(unit.device)
    grid = F.affine_grid(theta, list(unit.shape), align_corners=False)
    # Sample the offset from the pad colour with zero padding, so revealed areas are the pad colour.
    warped = F.grid_sample(unit - pad, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return _jitter(warped + pad, cfg, generator).clamp(0.0, 1.0)


def _uniform(n: int, lo: float, hi: float, generator: torch.Generator) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=generator)


def _affine(n: int, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Per-image 2×3 matrices mapping output to input coordinates (crop, aspect, turn, shift)."""
    scale = _uniform(n, *cfg.crop_scale, generator)
    log_ratio = _uniform(n, math.log(cfg.crop_ratio[0]), math.log(cfg.crop_ratio[1]), generator)
    ratio = log_ratio.exp()
    sx = (scale * ratio).sqrt().clamp(max=1.0)
    sy = (scale / ratio).sqrt().clamp(max=1.0)
    angle = _uniform(n, -cfg.max_rotation_deg, cfg.max_rotation_deg, generator) * (math.pi / 180)
    tx = (1 - sx) * _uniform(n, -1.0, 1.0, generator)
    ty = (1 - sy) * _uniform(n, -1.0, 1.0, generator)
    flip = torch.ones(n)
    if cfg.flip:
        flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = angle.cos(), angle.sin()
    row0 = torch.stack([sx * cos * flip, -sy * sin, tx], dim=1)
    row1 = torch.stack([sx * sin * flip, sy * cos, ty], dim=1)
    return torch.stack([row0, row1], dim=1)


def _jitter(x: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Brightness, contrast and saturation factors per image, applied as broadcast arithmetic."""
    n = x.shape[0]

    def factor(strength: float) -> torch.Tensor:
        return _uniform(n, 1 - strength, 1 + strength, generator).view(n, 1, 1, 1).to(x.device)

    x = x * factor(cfg.brightness)
    mean_grey = _grey(x).mean(dim=(2, 3), keepdim=True)
    x = mean_grey + (x - mean_grey) * factor(cfg.contrast)
    grey = _grey(x)
    return grey + (x - grey) * factor(cfg.saturation)


def _grey(x: torch.Tensor) -> torch.Tensor:
    """ITU-R 601 luma, the grey that contrast and saturation pivot around."""
    return 0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
