"""A model read once, external data included: the bytes ONNX Runtime loads are the bytes hashed.

Hashing a path and then loading the path reads the file twice; a model replaced in between would
give a cache named for one model the vectors of another. Reading once and handing ONNX Runtime
the same bytes (and the same bytes of every external-data file) closes that gap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lookalike.engine.errors import ModelError

# ONNX protobuf field numbers (onnx.proto3) on the way from the model to every tensor.
_MODEL_GRAPH, _MODEL_FUNCTIONS, _FUNCTION_NODE = 7, 25, 7
_GRAPH_NODE, _GRAPH_INITIALIZER, _GRAPH_SPARSE = 1, 5, 15
_NODE_ATTRIBUTE = 5
_ATTR_TENSOR, _ATTR_GRAPH, _ATTR_TENSORS, _ATTR_GRAPHS, _ATTR_SPARSE, _ATTR_SPARSES = 5, 6, 10, 11, 22, 23
_SPARSE_VALUES, _SPARSE_INDICES = 1, 2
_TENSOR_EXTERNAL_DATA = 13
_ENTRY_KEY, _ENTRY_VALUE = 1, 2


@dataclass(frozen=True)
class ModelBytes:
    """The model file and its external-data files as read, and the hash of exactly those bytes."""

    path: Path
    model: bytes
    external: dict[str, bytes] = field(default_factory=dict)
    sha256: str = ""


def read_model(path: Path) -> ModelBytes:
    """Read a model and its external data once; ModelError with one sentence when that fails."""
    if path.is_dir():
        raise ModelError(f"{path} is a folder, not a model file (give the .onnx file inside it)")
    if not path.exists():
        raise ModelError(f"model file not found: {path}")
    model = _read(path, "model file")
    try:
        locations = sorted(set(external_locations(model)))
    except (IndexError, ValueError) as exc:
        raise ModelError(f"not a loadable ONNX model: its protobuf is damaged ({exc})") from exc
    external = {loc: _read(_external_path(path, loc), "external data file") for loc in locations}
    return ModelBytes(path, model, external, model_digest(model, external))


def model_digest(model: bytes, external: dict[str, bytes]) -> str:
    """SHA-256 of the model bytes, then each external file's name and bytes (plain file hash if none)."""
    digest = hashlib.sha256(model)
    for name in sorted(external):
        data = external[name]
        digest.update(f"\0external\0{name}\0{len(data)}\0".encode("utf-8", "surrogatepass"))
        digest.update(data)
    return digest.hexdigest()


def _read(path: Path, what: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except IsADirectoryError as exc:
        raise ModelError(f"{what} {path} is a folder") from exc
    except FileNotFoundError as exc:
        raise ModelError(f"{what} not found: {path}") from exc
    except OSError as exc:
        raise ModelError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc


def _external_path(model_path: Path, location: str) -> Path:
    """External data must sit beside the model (ONNX Runtime's rule too): no absolute paths, no '..'."""
    rel = PurePosixPath(location.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ModelError(f"the model's external data {location!r} is outside the model's folder")
    return model_path.parent / Path(*rel.parts)


def external_locations(model: bytes | memoryview) -> Iterator[str]:
    """Every external-data file name the model's tensors refer to (graph, subgraphs, functions)."""
    for number, value in _fields(memoryview(model)):
        if number == _MODEL_GRAPH and isinstance(value, memoryview):
            yield from _graph_locations(value)
        elif number == _MODEL_FUNCTIONS and isinstance(value, memoryview):
            for n, node in _fields(value):
                if n == _FUNCTION_NODE and isinstance(node, memoryview):
                    yield from _node_locations(node)


def _graph_locations(graph: memoryview) -> Iterator[str]:
    for number, value in _fields(graph):
        if not isinstance(value, memoryview):
            continue
        if number == _GRAPH_NODE:
            yield from _node_locations(value)
        elif number == _GRAPH_INITIALIZER:
            yield from _tensor_locations(value)
        elif number == _GRAPH_SPARSE:
            yield from _sparse_locations(value)


def _node_locations(node: memoryview) -> Iterator[str]:
    for number, attr in _fields(node):
        if number != _NODE_ATTRIBUTE or not isinstance(attr, memoryview):
            continue
        for n, value in _fields(attr):
            if not isinstance(value, memoryview):
                continue
            if n in (_ATTR_TENSOR, _ATTR_TENSORS):
                yield from _tensor_locations(value)
            elif n in (_ATTR_GRAPH, _ATTR_GRAPHS):
                yield from _graph_locations(value)
            elif n in (_ATTR_SPARSE, _ATTR_SPARSES):
                yield from _sparse_locations(value)


def _sparse_locations(sparse: memoryview) -> Iterator[str]:
    for number, value in _fields(sparse):
        if number in (_SPARSE_VALUES, _SPARSE_INDICES) and isinstance(value, memoryview):
            yield from _tensor_locations(value)


def _tensor_locations(tensor: memoryview) -> Iterator[str]:
    for number, entry in _fields(tensor):
        if number != _TENSOR_EXTERNAL_DATA or not isinstance(entry, memoryview):
            continue
        kv = {n: v for n, v in _fields(entry) if isinstance(v, memoryview)}
        if kv.get(_ENTRY_KEY) == b"location" and _ENTRY_VALUE in kv:
            yield bytes(kv[_ENTRY_VALUE]).decode("utf-8", "surrogateescape")


def _fields(buf: memoryview) -> Iterator[tuple[int, int | memoryview]]:
    """Protobuf wire format: (field number, varint or length-delimited bytes); fixed ones skipped."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield number, value
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > end:
                raise ValueError("a field runs past the end")
            yield number, buf[pos : pos + length]
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ValueError(f"wire type {wire}")


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")
