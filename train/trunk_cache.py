"""The frozen trunk's outputs for every training image, computed once: epochs then train only the top.

On a CPU the trunk is most of a step's cost, and it never changes, so a run that caches it
trains the top for many epochs in the time one pass of the whole network would take. The price:
augmentation is fixed per cached view (view 0 is the plain image, later views augmented ones).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch

from lookalike.engine.preprocessing import Preprocessing
from lookalike.train.config import TrainConfig
from lookalike.train.epoch import BatchEmbedder, batch_input
from lookalike.train.frozen_trunk import FrozenTrunk
from lookalike.train.prepared import preprocessing_for

CHUNK = 128


@dataclass(frozen=True)
class TrunkCache:
    """Feature maps and taps of `views` versions of each of `n` images (row = view × n + image)."""

    fmap: torch.Tensor
    tap: torch.Tensor
    n: int
    views: int

    def embedder(self, top: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> BatchEmbedder:
        """Batch embeddings from the cache: a random cached view per image, through the top."""

        def embed(idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
            rows = idx + self.n * torch.randint(self.views, (len(idx),), generator=gen)
            return top(self.fmap[rows], self.tap[rows])

        return embed


def cache_trunk(
    trunk: FrozenTrunk, images: np.ndarray, cfg: TrainConfig, deadline: float | None
) -> TrunkCache:
    """Run the trunk over every image, view 0 plain and views 1.. augmented (seeded).

    Augmented views stop early when the time budget would not leave room for training.
    """
    prep = preprocessing_for(cfg)
    gen = torch.Generator().manual_seed(cfg.seed)
    plain = replace(cfg, augment=replace(cfg.augment, enabled=False))
    maps, taps = _pass(trunk, images, plain, prep, gen)
    views, started = 1, time.monotonic()
    for _ in range(cfg.trunk_views - 1):
        spent = time.monotonic() - started
        if deadline is not None and time.monotonic() + spent * 2.5 > deadline:
            break
        m, t = _pass(trunk, images, cfg, prep, gen)
        maps, taps, views = maps + m, taps + t, views + 1
    return TrunkCache(torch.cat(maps), torch.cat(taps), len(images), views)


def _pass(
    trunk: FrozenTrunk, images: np.ndarray, cfg: TrainConfig, prep: Preprocessing, gen: torch.Generator
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    maps: list[torch.Tensor] = []
    taps: list[torch.Tensor] = []
    for start in range(0, len(images), CHUNK):
        x = batch_input(torch.from_numpy(images[start : start + CHUNK]), prep, cfg, gen)
        fmap, tap = trunk.features(x)
        maps.append(fmap)
        taps.append(tap)
    return maps, taps
