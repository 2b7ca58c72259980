"""Pairwise distances between embeddings, shared by the loss, the miners and the health stats."""

from __future__ import annotations

import torch


def pairwise(emb: torch.Tensor, squared: bool = False) -> torch.Tensor:
    """(N, N) Euclidean (or squared) distances; the clamp keeps sqrt's gradient finite at 0.

    Through the Gram matrix: an (N, N, D) difference tensor costs N× the memory and time, which
    at the hybrid embedder's 1,536 dimensions made the loss most of a training step."""
    norms = emb.pow(2).sum(-1)
    sq = (norms.unsqueeze(1) + norms.unsqueeze(0) - 2.0 * emb @ emb.T).clamp_min(0.0)
    return sq if squared else sq.clamp_min(1e-12).sqrt()


def paired(a: torch.Tensor, b: torch.Tensor, squared: bool = False) -> torch.Tensor:
    """Row-wise distances between two (M, D) tensors."""
    sq = (a - b).pow(2).sum(-1)
    return sq if squared else sq.clamp_min(1e-12).sqrt()


def valid_triplet_mask(labels: torch.Tensor) -> torch.Tensor:
    """(N, N, N) mask of (anchor, positive, negative): same label a/p, a != p, different label n."""
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    pos = same & ~eye
    return pos.unsqueeze(2) & ~same.unsqueeze(1)
