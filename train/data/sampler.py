"""P classes × K images per batch (PML's MPerClassSampler idea): every anchor has positives.

A class with fewer than K images gives all of them once (never the same file twice, which would
be a zero-distance positive that teaches nothing): classes of 2-3 images still take part.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch


class PKSampler:
    """Yields index batches of P distinct classes with K images each, from a seeded generator."""

    def __init__(
        self, labels: Sequence[int], classes: int, images: int, groups: Sequence[int] | None = None
    ) -> None:
        by_class: dict[int, list[int]] = {}
        for i, label in enumerate(labels):
            by_class.setdefault(int(label), []).append(i)
        kept = [(c, v) for c, v in sorted(by_class.items()) if len(v) >= 2]
        self.pools = [torch.tensor(v) for _, v in kept]
        # With groups (the dataset of each class), batches take turns between datasets, so a set
        # with many classes does not crowd out the others; a batch stays within one dataset.
        self.groups = [int(groups[c]) for c, _ in kept] if groups is not None else [0] * len(kept)
        if len(self.pools) < 2:
            raise ValueError("P×K sampling needs at least two classes with two or more images")
        self.p = min(classes, len(self.pools))
        self.k = images
        self.n_images = sum(len(p) for p in self.pools)
        self.mean_k = sum(min(len(p), images) for p in self.pools) / len(self.pools)

    @property
    def batch_size(self) -> int:
        """Images per batch at most (P × K); fewer when some chosen classes are small."""
        return self.p * self.k

    def batches_per_epoch(self) -> int:
        """About one pass over the sampled images per epoch."""
        return max(1, round(self.n_images / (self.p * self.mean_k)))

    def epoch(self, generator: torch.Generator) -> Iterator[torch.Tensor]:
        """The batches of one epoch; classes cycle through a shuffled order so all get their turn."""
        members: dict[int, torch.Tensor] = {}
        for g in sorted(set(self.groups)):
            members[g] = torch.tensor([i for i, x in enumerate(self.groups) if x == g])
        orders = {g: torch.empty(0, dtype=torch.long) for g in members}
        turn = list(members)
        for b in range(self.batches_per_epoch()):
            if b % len(turn) == 0:
                turn = [turn[i] for i in torch.randperm(len(turn), generator=generator).tolist()]
            g = turn[b % len(turn)]
            p = min(self.p, len(members[g]))
            if len(orders[g]) < p:  # a fresh shuffle; leftovers would risk a class twice in a batch
                orders[g] = members[g][torch.randperm(len(members[g]), generator=generator)]
            chosen, orders[g] = orders[g][:p], orders[g][p:]
            yield torch.cat([self._draw(int(c), generator) for c in chosen])

    def _draw(self, cls: int, generator: torch.Generator) -> torch.Tensor:
        """min(K, class size) distinct images of a class."""
        pool = self.pools[cls]
        return pool[torch.randperm(len(pool), generator=generator)[: self.k]]
