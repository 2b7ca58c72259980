"""The ONNX Runtime embedder on real model files: provider, normalised output, batching, refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnx
import pytest
from lookalike.engine.errors import ImageLoadError, ModelError
from lookalike.engine.images.loading import load_image
from lookalike.engine.images.preprocessing import normalize
from lookalike.engine.model.embedder import Embedder
from onnx import TensorProto, helper, numpy_helper

from tests.model_factory import default_manifest, projection_model

ORT_NAMES = {"CPUExecutionProvider": "CPU", "CUDAExecutionProvider": "CUDA"}


@pytest.fixture(scope="module")
def embedder(projection_model_path: Path) -> Embedder:
    return Embedder(projection_model_path, device="cpu")


@pytest.fixture(scope="module")
def card_batch(image_data: Path, embedder: Embedder) -> np.ndarray:
    """64 real card images prepared for the model (uint8 NHWC)."""
    files = sorted((image_data / "cards").rglob("*.jpg"))[::2][:64]
    assert len(files) == 64
    return np.stack([embedder.prepare(load_image(f, min_side=24)) for f in files])


def _reference(model_path: Path, embedder: Embedder, batch: np.ndarray) -> np.ndarray:
    """The same embedding by hand: the graph's weight matrix applied in numpy, then L2-normalised."""
    graph = onnx.load(model_path).graph
    w = next(numpy_helper.to_array(t) for t in graph.initializer if t.name == "w").astype(np.float64)
    x = normalize(batch, embedder.manifest.preprocessing).reshape(len(batch), -1).astype(np.float64)
    out = x @ w
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_provider_is_what_the_session_really_runs(projection_model_path: Path) -> None:
    for device in ("auto", "cpu"):
        emb = Embedder(projection_model_path, device=device)
        assert emb.provider == ORT_NAMES[emb.session.get_providers()[0]]
    assert Embedder(projection_model_path, device="cpu").session.get_providers() == ["CPUExecutionProvider"]


def test_cuda_requested_without_a_gpu_is_refused(projection_model_path: Path) -> None:
    if Embedder(projection_model_path, device="auto").provider == "CUDA":
        pytest.skip("a GPU is present: CUDA is available, so nothing to refuse")
    with pytest.raises(ModelError, match="CUDA"):
        Embedder(projection_model_path, device="cuda")


def test_unknown_device_is_refused(projection_model_path: Path) -> None:
    with pytest.raises(ModelError, match="device must be one of"):
        Embedder(projection_model_path, device="tpu")


def test_manifest_and_hash_are_read(projection_model_path: Path, embedder: Embedder) -> None:
    assert embedder.manifest == default_manifest(24, 48)
    assert embedder.dim == 48
    assert embedder.sha256 == hashlib.sha256(projection_model_path.read_bytes()).hexdigest()


@pytest.mark.parametrize("n", [1, 7, 64])
def test_dynamic_batch_outputs_unit_vectors_equal_to_reference(
    projection_model_path: Path, embedder: Embedder, card_batch: np.ndarray, n: int
) -> None:
    batch = card_batch[:n]
    out = embedder.embed_batch(batch)
    assert out.shape == (n, 48)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(out, _reference(projection_model_path, embedder, batch), atol=1e-5)


def test_batch_size_does_not_change_an_image_s_embedding(embedder: Embedder, card_batch: np.ndarray) -> None:
    together = embedder.embed_batch(card_batch)
    alone = np.stack([embedder.embed_batch(card_batch[i : i + 1])[0] for i in (0, 13, 63)])
    np.testing.assert_allclose(alone, together[[0, 13, 63]], atol=1e-5)
    assert not np.allclose(together[0], together[13])  # different cards, different vectors


def test_empty_batch(embedder: Embedder) -> None:
    assert embedder.embed_batch(np.zeros((0, 24, 24, 3), np.uint8)).shape == (0, 48)


def test_embed_file_equals_prepare_then_embed(image_data: Path, embedder: Embedder) -> None:
    path = (
        image_data
        / "cards"
        / "1_of_spades"
        / sorted(p.name for p in (image_data / "cards/1_of_spades").iterdir())[0]
    )
    img = load_image(path, min_side=24)
    prepared = embedder.prepare(img)
    assert prepared.shape == (24, 24, 3)
    assert prepared.dtype == np.uint8
    np.testing.assert_allclose(embedder.embed_file(path), embedder.embed_image(img), atol=1e-6)
    np.testing.assert_allclose(embedder.embed_image(img), embedder.embed_batch(prepared[None])[0], atol=1e-6)


def test_embed_file_on_a_broken_image_raises_image_load_error(tmp_path: Path, embedder: Embedder) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(ImageLoadError):
        embedder.embed_file(tmp_path / "bad.jpg")


@pytest.mark.parametrize("scale", [float("nan"), float("inf")])
def test_model_emitting_nan_or_inf_is_refused(tmp_path: Path, scale: float) -> None:
    path = projection_model(tmp_path / "nan.onnx", output_scale=scale)
    with pytest.raises(ModelError, match="NaN or infinite"):
        Embedder(path)


def test_model_whose_graph_disagrees_with_its_manifest_is_refused(tmp_path: Path) -> None:
    path = projection_model(tmp_path / "wide.onnx", dim=32, out_dim=40)
    with pytest.raises(ModelError, match="embedding size 32 but the graph outputs 40"):
        Embedder(path)


def test_model_with_wrong_input_size_is_refused(tmp_path: Path) -> None:
    path = projection_model(
        tmp_path / "in.onnx", input_size=16, manifest=default_manifest(24, 32), in_shape=["b", 3, 16, 16]
    )
    with pytest.raises(ModelError, match="manifest says input 3x24x24"):
        Embedder(path)


def _transposed_output_model(path: Path, input_size: int, dim: int) -> Path:
    """A graph that returns (dim, batch): its output width is the batch axis, so only a run shows it."""
    flat = 3 * input_size * input_size
    w = np.random.default_rng(0).standard_normal((flat, dim)).astype(np.float32)
    nodes = [
        helper.make_node("Flatten", ["images"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w"], ["proj"]),
        helper.make_node("Transpose", ["proj"], ["e"], perm=[1, 0]),
    ]
    graph = helper.make_graph(
        nodes,
        "transposed",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["b", 3, input_size, input_size])],
        [helper.make_tensor_value_info("e", TensorProto.FLOAT, [dim, "b"])],
        [numpy_helper.from_array(w, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, default_manifest(input_size, dim).to_metadata())
    onnx.save(model, path)
    return path


def test_model_returning_the_wrong_shape_at_run_time_is_refused(tmp_path: Path) -> None:
    path = _transposed_output_model(tmp_path / "t.onnx", 16, 20)
    with pytest.raises(ModelError, match=r"fails a test run: .*returned shape \(20, 2\), expected \(2, 20\)"):
        Embedder(path)


def test_model_without_manifest_is_refused_naming_the_manifest(tmp_path: Path) -> None:
    path = projection_model(tmp_path / "bare.onnx", with_manifest=False)
    with pytest.raises(ModelError, match="no Lookalike manifest") as info:
        Embedder(path)
    assert "lookalike.manifest" in str(info.value)


def test_missing_and_garbage_model_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        Embedder(tmp_path / "nowhere.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"this is not protobuf" * 10)
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        Embedder(tmp_path / "junk.onnx")
