"""Per-epoch training health: is the loss working, and have the embeddings collapsed?"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from lookalike.train.losses.triplet import LossResult

# Unit vectors spread over a sphere sit ~1.4 apart; below this mean distance they have collapsed.
COLLAPSE_DISTANCE = 0.05
COLLAPSE_ADVICE = (
    "embeddings have collapsed (all images map to nearly the same point). Try: a lower --lr, "
    "--mining semi-hard or batch-all instead of batch-hard, a smaller --margin, or more "
    "images per class (--batch-images)."
)

PLATEAU_EPOCHS = 3
PLATEAU_TOLERANCE = 0.15  # |loss - margin| within 15% of the margin counts as "at the margin"
PLATEAU_GAIN = 0.005  # a MAP@R gain below this over the window is no gain
PLATEAU_ADVICE = (
    "training has stalled: the loss has sat at the margin (anchor-positive and anchor-negative "
    f"distances equal) for {PLATEAU_EPOCHS} epochs and the held-out MAP@R is not improving. "
    "The network maps classes onto each other rather than apart. Try: the pretrained backbone "
    "(--backbone efficientnet_lite0), a lower --lr, --mining semi-hard, or a smaller --margin."
)


@dataclass
class HealthMeter:
    """Accumulates batch statistics over an epoch (a mutable running sum, reset per epoch)."""

    loss_sum: float = 0.0
    batches: int = 0
    triplets: int = 0
    active: int = 0
    ap_sum: float = 0.0
    an_sum: float = 0.0
    weighted: int = 0
    spread_sum: float = 0.0
    images: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, result: LossResult, emb: torch.Tensor) -> None:
        """Record one batch's loss result and its embeddings' spread."""
        self.loss_sum += float(result.loss.detach())
        self.batches += 1
        self.images += emb.shape[0]
        self.triplets += result.n_triplets
        self.active += result.n_active
        if result.n_triplets and not math.isnan(result.mean_ap):
            self.ap_sum += result.mean_ap * result.n_triplets
            self.an_sum += result.mean_an * result.n_triplets
            self.weighted += result.n_triplets
        self.spread_sum += spread(emb.detach())

    def summary(self) -> dict[str, float]:
        """Epoch means: loss, active-triplet fraction, anchor-positive/negative distance, spread."""
        b = max(self.batches, 1)
        w = max(self.weighted, 1)
        return {
            "loss": self.loss_sum / b,
            "active_fraction": self.active / max(self.triplets, 1),
            "triplets_per_batch": self.triplets / b,
            "mean_d_ap": self.ap_sum / w if self.weighted else float("nan"),
            "mean_d_an": self.an_sum / w if self.weighted else float("nan"),
            "spread": self.spread_sum / b,
            "batches": float(self.batches),
        }


def spread(emb: torch.Tensor) -> float:
    """Mean pairwise distance of a batch: ~1.4 for well-spread unit vectors, ~0 when collapsed."""
    n = emb.shape[0]
    if n < 2:
        return 0.0
    d = torch.cdist(emb, emb)
    return float(d.sum() / (n * (n - 1)))


def collapsed(summary: dict[str, float]) -> bool:
    """True when the embeddings of an epoch have converged to one point (an empty epoch has none)."""
    return summary.get("batches", 1.0) > 0 and summary["spread"] < COLLAPSE_DISTANCE


def plateaued(history: list[dict[str, float]], margin: float, epochs: int = PLATEAU_EPOCHS) -> bool:
    """True when the last `epochs` losses are all ≈ margin and held-out MAP@R gained nothing in them.

    Loss = margin is what a triplet loss gives when d(a,p) ≈ d(a,n) for every triplet: the
    embeddings are spread out (no collapse) yet carry no class information.
    """
    if len(history) < epochs:
        return False
    recent = history[-epochs:]
    at_margin = all(abs(r["loss"] - margin) <= PLATEAU_TOLERANCE * margin for r in recent)
    maps = [r["mean_average_precision_at_r"] for r in history]
    best_at_start = max(maps[: len(maps) - epochs + 1])
    return at_margin and max(maps[len(maps) - epochs + 1 :]) <= best_at_start + PLATEAU_GAIN
