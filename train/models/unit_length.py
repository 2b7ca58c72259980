"""Rows to unit length: the last step of every embedding network here."""

from __future__ import annotations

import torch

EPS = 1e-12


def unit(x: torch.Tensor) -> torch.Tensor:
    """Rows to unit length. Explicit ops (not F.normalize) keep the exported ONNX graph plain."""
    return x / x.pow(2).sum(dim=1, keepdim=True).clamp_min(EPS).sqrt()
