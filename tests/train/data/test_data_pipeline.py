"""Sampler, split, normalisation and augmentation: the parts that shape every batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lookalike.engine.images.preprocessing import Preprocessing, normalize
from lookalike.train.config import AugmentConfig
from lookalike.train.data.augment import augment
from lookalike.train.data.class_split import split_classes
from lookalike.train.data.normalization import normalize_torch
from lookalike.train.data.sampler import PKSampler


@pytest.mark.parametrize(
    "prep",
    [
        Preprocessing(),
        Preprocessing(input_size=16, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
        Preprocessing(input_size=16, channel_order="BGR", mean=(0.1, 0.2, 0.3)),
    ],
)
def test_torch_normalisation_equals_engine(prep: Preprocessing) -> None:
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, (3, prep.input_size, prep.input_size, 3), dtype=np.uint8)
    got = normalize_torch(torch.from_numpy(batch), prep).numpy()
    np.testing.assert_allclose(got, normalize(batch, prep), rtol=0, atol=1e-6)


def test_sampler_gives_p_classes_times_k_images() -> None:
    labels = [c for c in range(10) for _ in range(5 + c)] + [99]  # class 99 has one image
    sampler = PKSampler(labels, classes=4, images=5)
    batches = list(sampler.epoch(torch.Generator().manual_seed(0)))
    assert len(batches) == sampler.batches_per_epoch() == round((len(labels) - 1) / 20)
    for batch in batches:
        assert batch.shape == (20,)
        got = torch.tensor(labels)[batch].view(4, 5)
        assert (got == got[:, :1]).all()
        assert len(set(got[:, 0].tolist())) == 4
        assert 99 not in got


def test_sampler_takes_small_classes_whole_and_never_repeats_an_image() -> None:
    sizes = [2, 3, 7, 2, 5, 3]
    labels = [c for c, n in enumerate(sizes) for _ in range(n)]
    sampler = PKSampler(labels, classes=3, images=4)
    seen: set[int] = set()
    for batch in sampler.epoch(torch.Generator().manual_seed(1)):
        assert len(set(batch.tolist())) == len(batch)  # no duplicate file in a batch
        classes = torch.tensor(labels)[batch]
        counts = {int(c): int((classes == c).sum()) for c in classes.unique()}
        assert len(counts) == 3
        assert all(n == min(4, sizes[c]) for c, n in counts.items())
        seen |= set(counts)
    assert seen == set(range(len(sizes)))


def test_sampler_is_seeded() -> None:
    labels = [c for c in range(6) for _ in range(5)]
    sampler = PKSampler(labels, classes=3, images=2)
    a = list(sampler.epoch(torch.Generator().manual_seed(3)))
    b = list(sampler.epoch(torch.Generator().manual_seed(3)))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_sampler_refuses_a_single_class() -> None:
    with pytest.raises(ValueError, match="two classes"):
        PKSampler([0, 0, 0, 1], classes=2, images=2)


def test_split_is_by_class_seeded_and_per_dataset() -> None:
    labels = [f"cards/{i}" for i in range(20)] + [f"flags/{i}" for i in range(10)]
    split = split_classes(labels, 0.3, seed=1)
    assert split == split_classes(labels, 0.3, seed=1)
    assert split != split_classes(labels, 0.3, seed=2)
    assert not set(split.train) & set(split.val)
    assert set(split.train) | set(split.val) == set(labels)
    assert sum(v.startswith("cards/") for v in split.val) == 6
    assert sum(v.startswith("flags/") for v in split.val) == 3
    assert len(split_classes([str(i) for i in range(20)], 5, seed=0).val) == 5


def test_augment_keeps_shape_range_and_can_be_off() -> None:
    x = torch.rand(6, 3, 24, 24)
    gen = torch.Generator().manual_seed(0)
    y = augment(x, AugmentConfig(flip=True), 1.0, gen)
    assert y.shape == x.shape
    assert float(y.min()) >= 0.0
    assert float(y.max()) <= 1.0
    assert not torch.equal(x, y)
    assert torch.equal(augment(x, AugmentConfig(enabled=False), 1.0, gen), x)


def test_augment_with_zero_strength_is_identity() -> None:
    cfg = AugmentConfig(
        crop_scale=(1.0, 1.0),
        crop_ratio=(1.0, 1.0),
        max_rotation_deg=0.0,
        brightness=0.0,
        contrast=0.0,
        saturation=0.0,
    )
    x = torch.rand(2, 3, 16, 16)
    y = augment(x, cfg, 1.0, torch.Generator().manual_seed(0))
    torch.testing.assert_close(y, x, atol=1e-5, rtol=0)


def test_sampler_gives_every_dataset_its_turn() -> None:
    labels = [c for c in range(40) for _ in range(4)]  # classes 0-35 in dataset 0, 36-39 in dataset 1
    groups = [0] * 36 + [1] * 4
    sampler = PKSampler(labels, classes=4, images=2, groups=groups)
    per_group = [0, 0]
    for batch in sampler.epoch(torch.Generator().manual_seed(0)):
        owners = {groups[int(c)] for c in torch.tensor(labels)[batch]}
        assert len(owners) == 1  # a batch stays within one dataset
        per_group[owners.pop()] += 1
    assert abs(per_group[0] - per_group[1]) <= 1  # turns, not class counts, decide the share
