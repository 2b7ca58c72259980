"""Triplet miners, separate from the loss (as in PML): each picks (anchor, positive, negative)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from lookalike.train.losses.distances import valid_triplet_mask
from lookalike.train.losses.triplet import Triplets, all_triplets

Miner = Callable[[torch.Tensor, torch.Tensor], Triplets]


def batch_all(dist: torch.Tensor, labels: torch.Tensor) -> Triplets:
    """Every valid triplet; the loss then averages over the active ones (Hermans et al. 2017)."""
    del dist
    return all_triplets(labels)


def batch_hard(dist: torch.Tensor, labels: torch.Tensor) -> Triplets:
    """Per anchor: the farthest positive and the nearest negative (ties: lowest index)."""
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    pos, neg = same & ~eye, ~same
    has = pos.any(1) & neg.any(1)
    hard_p = dist.masked_fill(~pos, float("-inf")).argmax(1)
    hard_n = dist.masked_fill(~neg, float("inf")).argmin(1)
    anchors = has.nonzero(as_tuple=True)[0]
    return anchors, hard_p[anchors], hard_n[anchors]


def semi_hard(margin: float) -> Miner:
    """FaceNet's rule: negatives farther than the positive but inside the margin."""

    def mine(dist: torch.Tensor, labels: torch.Tensor) -> Triplets:
        d_ap = dist.unsqueeze(2)
        d_an = dist.unsqueeze(1)
        keep = valid_triplet_mask(labels) & (d_an > d_ap) & (d_an < d_ap + margin)
        a, p, n = keep.nonzero(as_tuple=True)
        return a, p, n

    return mine


def random_negative(generator: torch.Generator) -> Miner:
    """Every anchor-positive pair with one uniformly drawn negative (a no-mining baseline)."""

    def mine(dist: torch.Tensor, labels: torch.Tensor) -> Triplets:
        del dist
        same = labels.unsqueeze(0) == labels.unsqueeze(1)
        eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
        a, p = (same & ~eye).nonzero(as_tuple=True)
        neg = (~same[a]).to(torch.float32)
        keep = neg.sum(1) > 0
        a, p, neg = a[keep], p[keep], neg[keep]
        if len(a) == 0:
            return a, p, a.clone()
        n = torch.multinomial(neg.cpu(), 1, generator=generator).squeeze(1).to(a.device)
        return a, p, n

    return mine


def make_miner(name: str, margin: float, generator: torch.Generator) -> Miner:
    """The miner named on the command line."""
    if name == "batch-all":
        return batch_all
    if name == "batch-hard":
        return batch_hard
    if name == "semi-hard":
        return semi_hard(margin)
    if name == "random":
        return random_negative(generator)
    raise ValueError(f"unknown miner {name!r}")
