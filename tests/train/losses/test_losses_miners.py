"""Vectorised loss and miners against a plain Python loop over every triplet of a batch."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from lookalike.train.losses.distances import pairwise
from lookalike.train.losses.miners import batch_all, batch_hard, make_miner, random_negative, semi_hard
from lookalike.train.losses.triplet import TripletMarginLoss


def _batch(seed: int, labels: list[int], dim: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    emb = torch.randn(len(labels), dim, generator=gen)
    emb = emb / emb.norm(dim=1, keepdim=True)
    return emb, torch.tensor(labels)


def _loop_triplets(labels: list[int]) -> list[tuple[int, int, int]]:
    n = len(labels)
    return [
        (a, p, q)
        for a, p, q in itertools.product(range(n), repeat=3)
        if a != p and labels[a] == labels[p] and labels[q] != labels[a]
    ]


def _dist(emb: torch.Tensor, i: int, j: int, squared: bool) -> float:
    sq = sum((float(emb[i, k]) - float(emb[j, k])) ** 2 for k in range(emb.shape[1]))
    return sq if squared else math.sqrt(sq)


def _loop_loss(
    emb: torch.Tensor, trips: list[tuple[int, int, int]], margin: float, sq: bool
) -> tuple[float, int]:
    per = [max(_dist(emb, a, p, sq) - _dist(emb, a, n, sq) + margin, 0.0) for a, p, n in trips]
    active = [v for v in per if v > 0]
    return (sum(active) / len(active) if active else 0.0), len(active)


LABELS = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3]


@pytest.mark.parametrize("distance", ["euclidean", "squared"])
@pytest.mark.parametrize("margin", [0.1, 0.5, 2.0])
def test_loss_over_all_triplets_matches_loop(distance: str, margin: float) -> None:
    emb, labels = _batch(0, LABELS)
    got = TripletMarginLoss(margin, distance)(emb, labels)
    want, n_active = _loop_loss(emb, _loop_triplets(LABELS), margin, distance == "squared")
    assert got.n_triplets == len(_loop_triplets(LABELS))
    assert got.n_active == n_active
    assert float(got.loss) == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_batch_all_is_every_valid_triplet() -> None:
    emb, labels = _batch(1, LABELS)
    a, p, n = batch_all(pairwise(emb), labels)
    got = sorted(zip(a.tolist(), p.tolist(), n.tolist(), strict=True))
    assert got == sorted(_loop_triplets(LABELS))


def test_batch_hard_matches_loop() -> None:
    emb, labels = _batch(2, LABELS)
    a, p, n = batch_hard(pairwise(emb), labels)
    want = []
    for anchor in range(len(LABELS)):
        pos = [j for j in range(len(LABELS)) if j != anchor and LABELS[j] == LABELS[anchor]]
        neg = [j for j in range(len(LABELS)) if LABELS[j] != LABELS[anchor]]
        if pos and neg:
            hp = max(pos, key=lambda j: _dist(emb, anchor, j, False))
            hn = min(neg, key=lambda j: _dist(emb, anchor, j, False))
            want.append((anchor, hp, hn))
    assert list(zip(a.tolist(), p.tolist(), n.tolist(), strict=True)) == want


@pytest.mark.parametrize("margin", [0.2, 1.0])
def test_semi_hard_matches_facenet_rule(margin: float) -> None:
    emb, labels = _batch(3, LABELS)
    a, p, n = semi_hard(margin)(pairwise(emb), labels)
    got = sorted(zip(a.tolist(), p.tolist(), n.tolist(), strict=True))
    want = [
        (x, y, z)
        for x, y, z in _loop_triplets(LABELS)
        if _dist(emb, x, y, False) < _dist(emb, x, z, False) < _dist(emb, x, y, False) + margin
    ]
    assert got == sorted(want)


def test_random_miner_gives_valid_triplets_per_pair() -> None:
    emb, labels = _batch(4, LABELS)
    a, p, n = random_negative(torch.Generator().manual_seed(0))(pairwise(emb), labels)
    pairs = sorted({(x, y) for x, y, _ in _loop_triplets(LABELS)})
    assert sorted(zip(a.tolist(), p.tolist(), strict=True)) == pairs
    assert all(LABELS[x] != LABELS[z] for x, z in zip(a.tolist(), n.tolist(), strict=True))


@pytest.mark.parametrize("name", ["batch-all", "batch-hard", "semi-hard", "random"])
@pytest.mark.parametrize("labels", [[5, 5, 5, 5], [0, 1, 2, 3], [7]])
def test_no_valid_triplet_gives_zero_loss_with_gradient(name: str, labels: list[int]) -> None:
    emb, lab = _batch(5, labels)
    emb.requires_grad_(True)
    miner = make_miner(name, 0.2, torch.Generator().manual_seed(0))
    trips = miner(pairwise(emb.detach()), lab)
    assert len(trips[0]) == 0
    result = TripletMarginLoss(0.2)(emb, lab, trips)
    result.loss.backward()
    assert float(result.loss.detach()) == 0.0
    assert result.n_triplets == 0
    assert emb.grad is not None
    assert torch.isfinite(emb.grad).all()


def test_identical_embeddings_have_finite_gradient() -> None:
    emb = torch.ones(4, 3, requires_grad=True)
    result = TripletMarginLoss(0.2)(emb, torch.tensor([0, 0, 1, 1]))
    result.loss.backward()
    assert float(result.loss.detach()) == pytest.approx(0.2)
    assert emb.grad is not None
    assert torch.isfinite(emb.grad).all()
