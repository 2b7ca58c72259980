"""The pretrained backbone: every released weight used, and ImageNet logits equal to a reference."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the conventional name
from lookalike.engine.model.bundled import sample_folder
from lookalike.train.models.efficientnet_lite import (
    EfficientNetLite0,
    load_pretrained,
    pretrained_weights_path,
)
from lookalike.train.models.pretrained import PretrainedEmbedder
from PIL import Image

STRIDE_2_BLOCKS = {1, 3, 5, 11}  # first block of the stride-2 stages in the TF EfficientNet-Lite0 spec


@pytest.fixture(scope="module")
def state() -> dict[str, torch.Tensor]:
    return torch.load(pretrained_weights_path(), map_location="cpu", weights_only=True)


def test_every_released_weight_is_consumed_with_its_shape(state: dict[str, torch.Tensor]) -> None:
    ours = EfficientNetLite0().state_dict()
    assert set(ours) == set(state), set(ours) ^ set(state)
    assert all(ours[k].shape == state[k].shape for k in state)
    result = EfficientNetLite0().load_state_dict(state, strict=True)
    assert not result.missing_keys
    assert not result.unexpected_keys


def _same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """TensorFlow SAME padding, computed independently of the product code."""
    pads = []
    for size in (x.shape[3], x.shape[2]):
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads)


def _conv_bn(
    x: torch.Tensor, sd: dict[str, torch.Tensor], conv: str, bn: str, stride: int = 1
) -> torch.Tensor:
    w = sd[conv + ".weight"]
    groups = w.shape[0] if w.shape[1] == 1 and w.shape[0] > 1 and x.shape[1] == w.shape[0] else 1
    x = F.conv2d(_same_pad(x, w.shape[-1], stride), w, stride=stride, groups=groups)
    return F.batch_norm(
        x, sd[bn + ".running_mean"], sd[bn + ".running_var"], sd[bn + ".weight"], sd[bn + ".bias"], eps=1e-3
    )


def reference_logits(sd: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """EfficientNet-Lite0 written straight from the raw state dict with torch.nn.functional."""
    x = F.relu6(_conv_bn(x, sd, "_conv_stem", "_bn0", 2))
    n_blocks = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("_blocks."))
    for i in range(n_blocks):
        p = f"_blocks.{i}."
        y = x
        if p + "_expand_conv.weight" in sd:
            y = F.relu6(_conv_bn(y, sd, p + "_expand_conv", p + "_bn0"))
        stride = 2 if i in STRIDE_2_BLOCKS else 1
        y = F.relu6(_conv_bn(y, sd, p + "_depthwise_conv", p + "_bn1", stride))
        y = _conv_bn(y, sd, p + "_project_conv", p + "_bn2")
        x = y + x if stride == 1 and y.shape == x.shape else y
    x = F.relu6(_conv_bn(x, sd, "_conv_head", "_bn1"))
    return F.linear(x.mean(dim=(2, 3)), sd["_fc.weight"], sd["_fc.bias"])


def _real_images() -> torch.Tensor:
    """Two bundled sample photos at the ImageNet size, scaled to [-1, 1] as the TF release expects."""
    folder = Path(sample_folder())
    paths = [sorted((folder / c).iterdir())[0] for c in ("10_of_hearts", "flag_de")]
    arrays = [np.asarray(Image.open(p).convert("RGB").resize((224, 224)), dtype=np.float32) for p in paths]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2) / 127.5 - 1.0


def test_imagenet_logits_equal_an_independent_reference(state: dict[str, torch.Tensor]) -> None:
    x = _real_images()
    with torch.no_grad():
        got = load_pretrained(EfficientNetLite0()).eval()(x)
        want = reference_logits(state, x)
    assert got.shape == (2, 1000)
    assert float(want.std()) > 1.0  # real, spread-out logits, not a degenerate output
    assert torch.allclose(got, want, atol=1e-3, rtol=1e-4), float((got - want).abs().max())
    assert torch.equal(got.argmax(1), want.argmax(1))


def test_fine_tuning_keeps_batch_norm_statistics_and_freezes_the_trunk() -> None:
    model = PretrainedEmbedder(dim=16, tune_blocks=1).train()
    bns = [m for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns
    assert not any(m.training for m in bns)
    running = bns[-1].running_mean
    assert running is not None
    before = running.clone()
    model(torch.randn(4, 3, 64, 64)).sum().backward()
    assert torch.equal(before, running)
    assert all(p.grad is None for p in model.frozen_parameters())
    assert model.head.weight.grad is not None
    assert model.backbone._conv_head.weight.grad is not None


def test_embeddings_are_unit_length_and_trunk_plus_top_is_the_model() -> None:
    model = PretrainedEmbedder(dim=16, tune_blocks=1).eval()
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        emb = model(x)
        split = model.top(*model.trunk(x))
    assert torch.allclose(emb.norm(dim=1), torch.ones(3), atol=1e-5)
    assert torch.allclose(emb, split, atol=1e-6)


def test_onnx_runtime_trunk_matches_torch(tmp_path: Path) -> None:
    from lookalike.train.models.frozen_trunk import FrozenTrunk

    model = PretrainedEmbedder(dim=16, tune_blocks=2).eval()
    trunk = FrozenTrunk(model, 64, 1, tmp_path)
    x = torch.randn(5, 3, 64, 64)
    with torch.no_grad():
        want = model(x)
        got = trunk(x)
    assert float((got - want).abs().max()) < 1e-4
