"""The hybrid embedder: fixed parts weighted as documented, a frozen backbone, fitted projections,
and a graph ONNX Runtime runs the same as torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from lookalike.engine.images.preprocessing import Preprocessing
from lookalike.engine.model.bundled import sample_folder
from lookalike.train.config import TrainConfig
from lookalike.train.data.normalization import normalize_torch
from lookalike.train.data.preload import preload
from lookalike.train.models.hybrid import (
    COLOUR_GRID,
    COMPONENTS,
    PIXEL_GRID,
    WEIGHTS,
    HybridEmbedder,
    embedding_parts,
    hybrid_parts,
)

SIZE = 64


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    """The bundled sample images, normalised as the model reads them."""
    paths = sorted(str(p) for p in Path(sample_folder()).rglob("*") if p.suffix.lower() in {".png", ".jpg"})
    prep = Preprocessing(input_size=SIZE, resize="letterbox")
    loaded, _ = preload(paths[:24], [str(i) for i in range(24)], prep)
    return normalize_torch(torch.from_numpy(loaded.images), prep)


@pytest.fixture(scope="module")
def model(images: torch.Tensor) -> HybridEmbedder:
    m = HybridEmbedder(dim=16, learned_weight=0.5, image_size=SIZE).eval()
    m.fit_projections(m.part_outputs(images))
    return m


def test_output_is_unit_length_with_the_documented_size(model: HybridEmbedder, images: torch.Tensor) -> None:
    with torch.no_grad():
        out = model(images)
    assert out.shape == (len(images), 3 * PIXEL_GRID**2 + sum(COMPONENTS.values()) + 3 * COLOUR_GRID**2 + 16)
    np.testing.assert_allclose(out.norm(dim=1).numpy(), 1.0, atol=1e-5)


def test_each_fixed_part_has_its_weight_as_length(model: HybridEmbedder, images: torch.Tensor) -> None:
    """Squared distances add over parts, so a part's length is how much it counts."""
    with torch.no_grad():
        fixed, _ = model.trunk(images)
    sizes = [3 * PIXEL_GRID**2, *COMPONENTS.values()]
    names = ["pixels", *COMPONENTS]
    start = 0
    for name, size in zip(names, sizes, strict=True):
        norms = fixed[:, start : start + size].norm(dim=1).numpy()
        np.testing.assert_allclose(norms, WEIGHTS[name], rtol=1e-4, err_msg=name)
        start += size
    assert start + 3 * COLOUR_GRID**2 == fixed.shape[1]  # then the colour part (its own test)


def test_colour_part_is_zero_for_grey_and_weighted_rms_colour_otherwise(model: HybridEmbedder) -> None:
    """Not unit length: a grey picture has no colour (JPEG noise on a nearly grey one must not
    become a full-length direction); a flat colour has its weight times its distance from grey."""
    grey = torch.full((1, 3, SIZE, SIZE), 0.3)
    red = torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1).expand(1, 3, SIZE, SIZE)
    a, b = model.embedding_parts()["colour"]
    with torch.no_grad():
        fixed_grey, _ = model.trunk(grey)
        fixed_red, _ = model.trunk(red)
    assert float(fixed_grey[0, a:b].abs().max()) < 1e-6
    chroma = torch.tensor([1.0, -1.0, -1.0]) - torch.tensor([1.0, -1.0, -1.0]).mean()
    np.testing.assert_allclose(
        float(fixed_red[0, a:b].norm()), WEIGHTS["colour"] * float(chroma.norm()), rtol=1e-5
    )


def test_the_manifests_parts_are_where_each_part_lies(model: HybridEmbedder, images: torch.Tensor) -> None:
    """The parts the export writes into the manifest (the pixel gate reads "pixels") slice the
    output where each part really is: the pixels slice at unit length is the unit thumbnail."""
    parts = model.embedding_parts()
    with torch.no_grad():
        out = model(images)
        thumb = model.raw_parts(images)["pixels"]
    assert list(parts) == ["pixels", *COMPONENTS, "colour", "learned"]
    assert parts["pixels"][0] == 0
    assert parts["learned"][1] == out.shape[1]
    assert all(a[1] == b[0] for a, b in zip(list(parts.values()), list(parts.values())[1:], strict=False))
    a, b = parts["pixels"]
    got = out[:, a:b] / out[:, a:b].norm(dim=1, keepdim=True)
    np.testing.assert_allclose(got.numpy(), (thumb / thumb.norm(dim=1, keepdim=True)).numpy(), atol=1e-5)
    older = 3 * PIXEL_GRID**2 + sum(COMPONENTS.values()) + 16  # a model made before the colour part
    assert hybrid_parts(older) == embedding_parts(16, colour=False)  # what recalibration assumes for it
    assert "colour" not in hybrid_parts(older)
    assert hybrid_parts(128) == {}


def test_pixel_part_ignores_a_brightness_shift(model: HybridEmbedder, images: torch.Tensor) -> None:
    with torch.no_grad():
        a = model.raw_parts(images)["pixels"]
        b = model.raw_parts(images + 0.2)["pixels"]
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)


def test_projections_are_orthonormal_and_centred_on_the_sample(
    model: HybridEmbedder, images: torch.Tensor
) -> None:
    parts = model.part_outputs(images)
    for (name, k), feats in zip(COMPONENTS.items(), parts, strict=True):
        basis = getattr(model, f"{name}_basis")
        kept = min(k, len(images))  # a sample of n images spans at most n directions
        gram = (basis[:, :kept].T @ basis[:, :kept]).numpy()
        np.testing.assert_allclose(np.diag(gram)[: kept - 1], 1.0, atol=1e-4)
        np.testing.assert_allclose(getattr(model, f"{name}_mean").numpy(), feats.mean(0).numpy(), atol=1e-5)


def test_only_the_learned_part_trains(images: torch.Tensor) -> None:
    m = HybridEmbedder(dim=16, image_size=SIZE).train()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    opt = torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.5)
    out = m(images)
    (out[:, -16:].sum() - out[:, :8].sum()).backward()
    opt.step()
    changed = {k for k, v in m.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"head.weight", "head.bias"}
    assert not m.backbone.training  # batch norm keeps the ImageNet statistics


def test_exported_graph_matches_torch(model: HybridEmbedder, images: torch.Tensor, tmp_path: Path) -> None:
    import onnxruntime as ort
    from lookalike.train.models.frozen_trunk import export_module

    path = tmp_path / "hybrid.onnx"
    export_module(model, SIZE, path, ["embedding"])
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"images": images.numpy()})[0]
    with torch.no_grad():
        want = model(images).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_config_refuses_what_the_hybrid_cannot_do() -> None:
    with pytest.raises(ValueError, match="tune-blocks"):
        TrainConfig(data=("x",), out="y", backbone="hybrid", tune_blocks=1)
    with pytest.raises(ValueError, match="multiple of 32"):
        TrainConfig(data=("x",), out="y", backbone="hybrid", image_size=48)
    with pytest.raises(ValueError, match="learned-weight"):
        TrainConfig(data=("x",), out="y", learned_weight=0.0)
    assert TrainConfig(data=("x",), out="y", backbone="efficientnet_lite0", tune_blocks=1).tune_blocks == 1
