"""The frozen trunk's outputs, kept per training image and view: later epochs train only the top.

On a CPU the trunk is most of a step's cost and never changes, so each (image, view) goes
through it once, the first time a batch draws it; later draws read the cache. View 0 is the
plain image, views 1.. fixed augmented copies. Nothing is computed ahead: a short budget trains
from the first batch, a long one gets many cheap epochs over `views` versions of every image.
"""

from __future__ import annotations

import numpy as np
import torch
from lookalike.engine.images.preprocessing import Preprocessing
from lookalike.train.config import TrainConfig
from lookalike.train.data.prepared import preprocessing_for
from lookalike.train.loop.epoch import batch_input
from lookalike.train.models.frozen_trunk import FrozenTrunk


class TrunkCache:
    """Lazily filled (view × image) → trunk outputs; call it as a BatchEmbedder."""

    def __init__(self, trunk: FrozenTrunk, images: np.ndarray, cfg: TrainConfig) -> None:
        self.trunk, self.cfg = trunk, cfg
        self.images = torch.from_numpy(images)
        self.n, self.views = len(images), cfg.trunk_views
        self.prep: Preprocessing = preprocessing_for(cfg)
        self.filled = torch.zeros(self.views * self.n, dtype=torch.bool)
        self.fmap: torch.Tensor | None = None
        self.tap: torch.Tensor | None = None

    @property
    def cached(self) -> int:
        """How many (image, view) pairs went through the trunk so far."""
        return int(self.filled.sum())

    def __call__(self, idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Embeddings of a batch: a random view per image, trunk outputs cached, top with gradient."""
        view = torch.randint(self.views, (len(idx),), generator=gen)
        rows = idx + self.n * view
        todo = ~self.filled[rows]
        if bool(todo.any()):
            self._fill(idx[todo], view[todo], rows[todo], gen)
        if self.fmap is None or self.tap is None:
            raise RuntimeError("the trunk cache was read before any batch filled it")
        return self.trunk.model.top(self.fmap[rows], self.tap[rows])

    def _fill(self, idx: torch.Tensor, view: torch.Tensor, rows: torch.Tensor, gen: torch.Generator) -> None:
        x = batch_input(self.images[idx], self.prep, self.cfg, gen)
        plain = batch_input(self.images[idx], self.prep, _no_augment(self.cfg), gen)
        x = torch.where((view == 0).view(-1, 1, 1, 1), plain, x)
        fmap, tap = self.trunk.features(x)
        if self.fmap is None or self.tap is None:
            self.fmap = torch.zeros((self.views * self.n, *fmap.shape[1:]), dtype=fmap.dtype)
            self.tap = torch.zeros((self.views * self.n, *tap.shape[1:]), dtype=tap.dtype)
        self.fmap[rows], self.tap[rows] = fmap, tap
        self.filled[rows] = True


def _no_augment(cfg: TrainConfig) -> TrainConfig:
    from dataclasses import replace

    return replace(cfg, augment=replace(cfg.augment, enabled=False))
