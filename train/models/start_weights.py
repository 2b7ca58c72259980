"""Start a hybrid run from a model file (the app's current model) instead of from the backbone alone.

Why: teaching in the app begins from a model the user already has. A fresh run fits the fixed
parts' projections on the user's folder and trains the learned part from a random start; starting
from the model keeps its projections (its fixed parts stay exactly as they were) and continues
training its learned part. bench/model/teach_quality.py measures which wins.

The file is untrusted input: it must be a Lookalike hybrid model of the same shapes and input
size, with finite weights; anything else is refused with one sentence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from lookalike.engine.errors import ModelError
from lookalike.engine.model.manifest import ModelManifest, manifest_from_metadata
from lookalike.engine.model.model_bytes import read_model
from lookalike.train.models.hybrid import COMPONENTS, HybridEmbedder

# What a start model supplies: the learned part and every projection (names as exported).
STARTED = ("head.weight", "head.bias", *(f"{n}_{k}" for n in COMPONENTS for k in ("mean", "basis")))


def start_tensors(path: Path, image_size: int) -> dict[str, torch.Tensor]:
    """The STARTED tensors of a model file, checked (ModelError on anything unexpected)."""
    return _start_model(path, image_size)[1]


def _start_model(path: Path, image_size: int) -> tuple[ModelManifest, dict[str, torch.Tensor]]:
    """The model file's manifest and its STARTED tensors, checked."""
    import onnx
    from onnx import numpy_helper

    data = read_model(path).model  # ModelError with its own sentence for a missing or damaged file
    try:
        proto = onnx.load_from_string(data)
    except Exception as exc:  # protobuf raises several types for damaged bytes
        raise ModelError(f"{path} is not a loadable ONNX model ({exc})") from exc
    meta = {p.key: p.value for p in proto.metadata_props}
    manifest = manifest_from_metadata(meta)
    if manifest.preprocessing.input_size != image_size:
        raise ModelError(
            f"{path.name} takes {manifest.preprocessing.input_size} px images; this run uses "
            f"{image_size} px (give --image-size {manifest.preprocessing.input_size})"
        )
    found = {i.name: i for i in proto.graph.initializer if i.name in STARTED}
    missing = [n for n in STARTED if n not in found]
    if missing:
        raise ModelError(f"{path.name} is not a hybrid model this run can start from (no {missing[0]})")
    out = {}
    for name in STARTED:
        if found[name].data_location == onnx.TensorProto.EXTERNAL:
            raise ModelError(f"{path.name} keeps {name} in an external file: not supported as a start")
        array = numpy_helper.to_array(found[name])
        if array.dtype != np.float32 or not np.isfinite(array).all():
            raise ModelError(f"{path.name}: {name} is not finite float32")
        out[name] = torch.from_numpy(array.copy())
    return manifest, out


def start_from(model: HybridEmbedder, path: Path, image_size: int) -> None:
    """Copy a model file's learned part and projections into `model` (shapes must agree); a model
    made before the colour part keeps its layout (the started network has none either), so the
    run continues the model the user has rather than one with a part it never had."""
    manifest, tensors = _start_model(path, image_size)
    model.colour = "colour" in manifest.parts
    state = model.state_dict()
    for name, value in tensors.items():
        if tuple(state[name].shape) != tuple(value.shape):
            raise ModelError(
                f"{path.name}: {name} has shape {tuple(value.shape)}, this run needs "
                f"{tuple(state[name].shape)} (the embedding size, --dim, must match)"
            )
    model.load_state_dict({**state, **tensors})
