"""Triplet margin loss (Schroff et al. 2015, FaceNet), composed with a miner like PML's losses."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from lookalike.train.losses.distances import pairwise, valid_triplet_mask

Triplets = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class LossResult:
    """The loss to optimise and what it was made of (for the training-health report)."""

    loss: torch.Tensor
    n_triplets: int
    n_active: int
    mean_ap: float
    mean_an: float


class TripletMarginLoss:
    """max(d(a,p) - d(a,n) + margin, 0), averaged over the active (non-zero) triplets."""

    def __init__(self, margin: float = 0.2, distance: str = "euclidean") -> None:
        if distance not in ("euclidean", "squared"):
            raise ValueError(f"distance must be euclidean or squared, not {distance!r}")
        self.margin = margin
        self.squared = distance == "squared"

    def __call__(
        self, emb: torch.Tensor, labels: torch.Tensor, triplets: Triplets | None = None
    ) -> LossResult:
        """Loss over the given triplets, or over every valid triplet of the batch when None."""
        a, p, n = triplets if triplets is not None else all_triplets(labels)
        if len(a) == 0:
            # Keep the graph connected so backward() works; there is nothing to learn here.
            return LossResult(emb.sum() * 0.0, 0, 0, float("nan"), float("nan"))
        dist = pairwise(emb, self.squared)  # once per batch, not once per triplet
        d_ap, d_an = dist[a, p], dist[a, n]
        per = torch.relu(d_ap - d_an + self.margin)
        active = per > 0
        n_active = int(active.sum())
        loss = per.sum() / n_active if n_active else per.sum() * 0.0
        return LossResult(loss, len(a), n_active, float(d_ap.mean().detach()), float(d_an.mean().detach()))


def all_triplets(labels: torch.Tensor) -> Triplets:
    """Indices of every valid (anchor, positive, negative) of a batch."""
    a, p, n = valid_triplet_mask(labels).nonzero(as_tuple=True)
    return a, p, n


def distance_matrix(emb: torch.Tensor, distance: str) -> torch.Tensor:
    """Miners measure with the loss's own distance so 'hard' means hard for this loss."""
    return pairwise(emb.detach(), squared=distance == "squared")
