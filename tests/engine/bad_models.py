"""Generate ONNX files that are broken or are not Lookalike embedders, each with the words its error must use.

`make_bad_models(folder)` writes them and returns {name: (path, words the ModelError message contains)}.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from lookalike.engine.model.manifest import METADATA_KEY
from onnx import TensorProto, helper, numpy_helper

from tests.model_factory import default_manifest, projection_model

SIZE, DIM = 16, 32
Builder = Callable[[Path], Path]


def _save(path: Path, nodes: list, inputs: list, outputs: list, inits: list, manifest: bool = True) -> Path:
    graph = helper.make_graph(nodes, "bad", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if manifest:
        helper.set_model_props(model, default_manifest(SIZE, DIM).to_metadata())
    onnx.save(model, path)
    return path


def _weights(rows: int, cols: int) -> onnx.TensorProto:
    rng = np.random.default_rng(0)
    return numpy_helper.from_array(rng.standard_normal((rows, cols)).astype(np.float32), "w")


def _image_input() -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, SIZE, SIZE])


def flat_input_model(path: Path) -> Path:
    """Takes (batch, 768) vectors, not NCHW images."""
    inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3 * SIZE * SIZE])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", DIM])
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    return _save(path, [node], [inp], [out], [_weights(3 * SIZE * SIZE, DIM)])


def rank3_output_model(path: Path) -> Path:
    """Outputs (batch, dim, 1): a feature map, not one vector per image."""
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", DIM, 1])
    nodes = [
        helper.make_node("Flatten", ["images"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w"], ["proj"]),
        helper.make_node("Unsqueeze", ["proj", "axes"], ["y"]),
    ]
    axes = numpy_helper.from_array(np.array([2], dtype=np.int64), "axes")
    return _save(path, nodes, [_image_input()], [out], [_weights(3 * SIZE * SIZE, DIM), axes])


def int_output_model(path: Path) -> Path:
    """Outputs int64 class indices, like a classifier's argmax."""
    out = helper.make_tensor_value_info("y", TensorProto.INT64, ["batch", DIM])
    nodes = [
        helper.make_node("Flatten", ["images"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w"], ["proj"]),
        helper.make_node("Cast", ["proj"], ["y"], to=TensorProto.INT64),
    ]
    return _save(path, nodes, [_image_input()], [out], [_weights(3 * SIZE * SIZE, DIM)])


def two_input_model(path: Path) -> Path:
    """Wants a second input the app cannot supply."""
    other = helper.make_tensor_value_info("other", TensorProto.FLOAT, ["batch", DIM])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", DIM])
    nodes = [
        helper.make_node("Flatten", ["images"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w"], ["proj"]),
        helper.make_node("Add", ["proj", "other"], ["y"]),
    ]
    return _save(path, nodes, [_image_input(), other], [out], [_weights(3 * SIZE * SIZE, DIM)])


def hidden_wrong_dim_model(path: Path) -> Path:
    """Output width = the input's height (16 at run time): nothing static says it is not 32."""
    inp = helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, "h", "w"])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "d"])
    consts = {"s2": [2], "s3": [3], "zero": [0], "one": [1]}
    inits = [numpy_helper.from_array(np.array(v, dtype=np.int64), k) for k, v in consts.items()]
    nodes = [
        helper.make_node("Flatten", ["images"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w"], ["proj"]),
        helper.make_node("Shape", ["images"], ["shape"]),
        helper.make_node("Slice", ["shape", "s2", "s3"], ["height"]),
        helper.make_node("Slice", ["proj", "zero", "height", "one"], ["y"]),
    ]
    return _save(path, nodes, [inp], [out], [_weights(3 * SIZE * SIZE, DIM), *inits])


def with_metadata(path: Path, text: str, **manifest_changes: object) -> Path:
    """A projection graph (made here unless `path` holds one) whose manifest text is replaced
    (or edited field by field)."""
    if not path.exists():
        projection_model(path, SIZE, DIM)
    model = onnx.load(path)
    if manifest_changes:
        raw = json.loads(default_manifest(SIZE, DIM).to_json())
        raw.update(manifest_changes)
        text = json.dumps(raw)
    del model.metadata_props[:]
    helper.set_model_props(model, {METADATA_KEY: text})
    onnx.save(model, path)
    return path


def truncated_model(path: Path) -> Path:
    """A real model file cut in half, like an interrupted download."""
    data = projection_model(path, SIZE, DIM).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _table() -> dict[str, tuple[Builder, str]]:
    nan = float("nan")
    rand = np.random.default_rng(1).bytes(4000)
    return {
        "random bytes": (lambda p: _bytes(p, rand), "not a loadable"),
        "empty file": (lambda p: _bytes(p, b""), "not a loadable"),
        "truncated": (truncated_model, "not a loadable"),
        "text file": (lambda p: _bytes(p, b"this is a readme, not a model\n"), "not a loadable"),
        "no manifest": (
            lambda p: projection_model(p, SIZE, DIM, with_manifest=False),
            "no Lookalike manifest",
        ),
        "manifest not json": (lambda p: with_metadata(p, "{not json"), "not valid JSON"),
        "manifest incomplete": (lambda p: with_metadata(p, '{"format_version": 1}'), "missing"),
        "manifest future format": (lambda p: with_metadata(p, "", format_version=99), "format 99"),
        "manifest size vs graph": (_size_mismatch, "manifest says input"),
        "manifest dim vs graph": (lambda p: projection_model(p, SIZE, DIM, out_dim=16), "embedding size"),
        "hidden wrong dim": (hidden_wrong_dim_model, "returned shape"),
        "absurd input size": (_absurd_input, "input_size"),
        "bad pad value": (
            lambda p: with_metadata(p, "", preprocessing={**_prep(), "pad_value": 10**30}),
            "0 to 255",
        ),
        "wrong input rank": (flat_input_model, "rank 4"),
        "wrong output rank": (rank3_output_model, "not rank 3"),
        "integer output": (int_output_model, "must be float"),
        "two inputs": (two_input_model, "takes 2"),
        "nan output": (lambda p: projection_model(p, SIZE, DIM, output_scale=nan), "NaN"),
        "directory": (_dir, "is a folder, not a model file"),
        "missing": (lambda p: p, "not found"),
    }


def make_bad_models(folder: Path) -> dict[str, tuple[Path, str]]:
    """Write every bad model under `folder`; return {name: (path, words the error names)}."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, tuple[Path, str]] = {}
    for i, (name, (build, words)) in enumerate(sorted(_table().items())):
        out[name] = (build(folder / f"{i:02d}-{name.replace(' ', '_')}.onnx"), words)
    return out


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _dir(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    return path


def _size_mismatch(path: Path) -> Path:
    """Graph fixed at 16x16 input, manifest says 32."""
    return projection_model(
        path, SIZE, DIM, manifest=default_manifest(32, DIM), in_shape=["batch", 3, 16, 16]
    )


def _absurd_input(path: Path) -> Path:
    """Symbolic input size and a manifest asking for 100000 px: a test run would need 120 GB."""
    projection_model(path, SIZE, DIM, in_shape=["batch", 3, "h", "w"])
    return with_metadata(path, "", preprocessing={**_prep(), "input_size": 100_000})


def _prep() -> dict[str, object]:
    return dict(json.loads(default_manifest(SIZE, DIM).to_json())["preprocessing"])


BAD_MODEL_NAMES: tuple[str, ...] = tuple(sorted(_table()))
