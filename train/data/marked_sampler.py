"""P×K batches that also bring the user's "not a match" pairs together, as hard negatives."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from lookalike.train.data.sampler import PKSampler


class MarkedPairSampler(PKSampler):
    """A PKSampler where a share of the batches holds one marked pair: both images, both classes."""

    def __init__(
        self,
        labels: Sequence[int],
        classes: int,
        images: int,
        pairs: Sequence[tuple[int, int]],
        share: float = 0.5,
        groups: Sequence[int] | None = None,
    ) -> None:
        super().__init__(labels, classes, images, groups)
        self.pool_of = {int(i): c for c, pool in enumerate(self.pools) for i in pool.tolist()}
        self.pairs = [
            (i, j)
            for i, j in pairs
            if i in self.pool_of and j in self.pool_of and self.pool_of[i] != self.pool_of[j]
        ]
        self.share = share

    def epoch(self, generator: torch.Generator) -> Iterator[torch.Tensor]:
        """The usual batches; with probability `share` the first two classes become a marked pair's."""
        for batch in super().epoch(generator):
            if self.pairs and float(torch.rand(1, generator=generator)) < self.share:
                pick = int(torch.randint(len(self.pairs), (1,), generator=generator))
                batch = self._with_pair(batch, *self.pairs[pick], generator)
            yield batch

    def _with_pair(self, batch: torch.Tensor, i: int, j: int, generator: torch.Generator) -> torch.Tensor:
        """The pair's two classes replace two of the batch's (blocks may be shorter than K)."""
        pair_classes = {self.pool_of[i], self.pool_of[j]}
        owners = [self.pool_of[int(x)] for x in batch.tolist()]
        kept = [c for c in dict.fromkeys(owners) if c not in pair_classes][: self.p - 2]
        rest = [x for x, c in zip(batch.tolist(), owners, strict=True) if c in kept]
        blocks = [self._block(i, generator), self._block(j, generator)]
        return torch.cat([*blocks, torch.tensor(rest, dtype=torch.long)])

    def _block(self, index: int, generator: torch.Generator) -> torch.Tensor:
        """K images of `index`'s class, `index` itself first."""
        pool = self.pools[self.pool_of[index]]
        rest = pool[pool != index]
        picks = rest[torch.randperm(len(rest), generator=generator)[: self.k - 1]]  # never a file twice
        return torch.cat([torch.tensor([index]), picks])


def make_sampler(
    train_ids: Sequence[int],
    classes: int,
    images: int,
    pairs: Sequence[tuple[int, int]],
    groups: Sequence[int] | None = None,
) -> PKSampler:
    """The plain P×K sampler, or the marked-pair one when the user marked non-matches."""
    if pairs:
        return MarkedPairSampler(train_ids, classes, images, pairs, groups=groups)
    return PKSampler(train_ids, classes, images, groups)
