"""The trunk cache: each (image, view) goes through the frozen trunk once, and view 0 is the plain image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from lookalike.train.config import TrainConfig
from lookalike.train.data.normalization import normalize_torch
from lookalike.train.data.prepared import preprocessing_for
from lookalike.train.models.frozen_trunk import FrozenTrunk
from lookalike.train.models.pretrained import PretrainedEmbedder
from lookalike.train.models.trunk_cache import TrunkCache


def test_each_image_view_is_computed_once_and_view_0_is_the_plain_image(tmp_path: Path) -> None:
    cfg = TrainConfig(data=("x",), out=str(tmp_path), image_size=32, trunk_views=1, dim=8)
    model = PretrainedEmbedder(cfg.dim, cfg.tune_blocks, pretrained=False).eval()
    trunk = FrozenTrunk(model, cfg.image_size, 1, tmp_path)
    seen: list[int] = []
    features = trunk.features

    def counting(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        seen.append(len(x))
        return features(x)

    trunk.features = counting  # type: ignore[method-assign]
    images = np.random.default_rng(0).integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    cache = TrunkCache(trunk, images, cfg)
    gen = torch.Generator().manual_seed(0)
    first = cache(torch.tensor([0, 1, 2]), gen)
    again = cache(torch.tensor([2, 3, 1]), gen)
    assert seen == [3, 1]  # images 1 and 2 came from the cache the second time
    assert cache.cached == 4
    with torch.no_grad():
        want = model(normalize_torch(torch.from_numpy(images[[0, 1, 2, 3]]), preprocessing_for(cfg)))
    assert torch.allclose(first.detach(), want[:3], atol=1e-4)
    assert torch.allclose(again.detach()[1], want[3], atol=1e-4)
