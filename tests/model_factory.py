"""Small real ONNX embedders built with onnx's helper API, for tests that need a model file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from lookalike.engine.images.preprocessing import Preprocessing
from lookalike.engine.model.manifest import ModelManifest
from onnx import TensorProto, helper, numpy_helper


def default_manifest(input_size: int = 16, dim: int = 32) -> ModelManifest:
    """A complete manifest for a pixel-projection model."""
    return ModelManifest(
        preprocessing=Preprocessing(input_size=input_size, resize="letterbox"),
        embedding_dim=dim,
        thresholds={"best_accuracy": 0.9, "far_1e-3": 0.5, "far_1e-2": 0.7},
        name="test-projection",
    )


def projection_model(
    path: Path,
    input_size: int = 16,
    dim: int = 32,
    manifest: ModelManifest | None = None,
    with_manifest: bool = True,
    seed: int = 0,
    output_scale: float = 1.0,
    in_shape: list[int | str] | None = None,
    out_dim: int | None = None,
) -> Path:
    """Write a model: flatten NCHW pixels, random projection to `dim`. A real, if weak, embedder."""
    rng = np.random.default_rng(seed)
    flat = 3 * input_size * input_size
    w = (rng.standard_normal((flat, out_dim or dim)) / np.sqrt(flat)).astype(np.float32)
    shape = in_shape or ["batch", 3, input_size, input_size]
    inp = helper.make_tensor_value_info("images", TensorProto.FLOAT, shape)
    out = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", out_dim or dim])
    nodes = [
        helper.make_node("Flatten", ["images"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w"], ["proj"]),
        helper.make_node("Mul", ["proj", "scale"], ["embedding"]),
    ]
    inits = [
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(np.array(output_scale, dtype=np.float32), "scale"),
    ]
    graph = helper.make_graph(nodes, "projection", [inp], [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if with_manifest:
        meta = (manifest or default_manifest(input_size, dim)).to_metadata()
        helper.set_model_props(model, meta)
    onnx.save(model, path)
    return path


def moody_model(path: Path, dark: float, bright: float, input_size: int = 16, dim: int = 32) -> Path:
    """A projection model that fails on some inputs: a zero vector for images whose mean normalised
    pixel is below `dark`, NaN for those above `bright`, a real projection in between."""
    rng = np.random.default_rng(0)
    flat = 3 * input_size * input_size
    w = (rng.standard_normal((flat, dim)) / np.sqrt(flat)).astype(np.float32)
    inp = helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, input_size, input_size])
    out = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", dim])
    consts = {"w": w, "dark": np.float32(dark), "bright": np.float32(bright), "big": np.float32(1e6)}
    consts |= {"one": np.float32(1.0), "nought": np.float32(0.0)}
    nodes = [
        helper.make_node("Flatten", ["images"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w"], ["proj"]),
        helper.make_node("ReduceMean", ["flat"], ["mean"], axes=[1], keepdims=1),  # (N, 1)
        helper.make_node("Sub", ["mean", "dark"], ["above_dark"]),
        helper.make_node("Mul", ["above_dark", "big"], ["steep"]),
        helper.make_node("Relu", ["steep"], ["ramp"]),
        helper.make_node("Min", ["ramp", "one"], ["gate"]),  # 0 when dark, 1 otherwise
        helper.make_node("Sub", ["bright", "mean"], ["below_bright"]),
        helper.make_node("Sqrt", ["below_bright"], ["root"]),  # NaN when bright
        helper.make_node("Mul", ["root", "nought"], ["poison"]),  # 0, or NaN when bright
        helper.make_node("Mul", ["proj", "gate"], ["gated"]),
        helper.make_node("Add", ["gated", "poison"], ["embedding"]),
    ]
    inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items()]
    graph = helper.make_graph(nodes, "moody", [inp], [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, default_manifest(input_size, dim).to_metadata())
    onnx.save(model, path)
    return path
