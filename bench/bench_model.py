"""The network the benchmarks run: the bundled ONNX model and the same network in torch eager.

The bundled model (assets/model.onnx) is used when it exists; its torch twin is train.model's
EmbeddingNet built with the width and size the manifest records, with the ONNX weights copied in
where the names match (speed does not depend on the weights, but matching outputs prove it is the
same network). Without a bundled model, a seeded EmbeddingNet is exported to ONNX here instead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.bundled import default_model_path
from engine.manifest import ModelManifest
from engine.preprocessing import Preprocessing

DEFAULT_DIM = 128
DEFAULT_WIDTH = 32
DEFAULT_SIZE = 64


@dataclass(frozen=True)
class BenchModel:
    """An ONNX file, its torch twin (eval mode) and where they came from."""

    onnx_path: Path
    torch_model: Any
    origin: str
    weights_match: bool


def bench_model(workdir: Path) -> BenchModel:
    """The bundled model and its torch twin, or an exported stand-in when assets/ has no model yet."""
    bundled = default_model_path()
    if bundled.is_file():
        return _from_bundled(bundled)
    return _exported_standin(workdir)


def _from_bundled(path: Path) -> BenchModel:
    from engine.embedder import Embedder

    manifest = Embedder(path, device="cpu").manifest
    training = manifest.training or {}
    net = _net(
        int(training.get("dim", manifest.embedding_dim)),
        int(training.get("width", DEFAULT_WIDTH)),
    )
    matched = _copy_onnx_weights(path, net)
    return BenchModel(path, net, f"bundled {path}", matched)


def _net(dim: int, width: int) -> Any:
    import torch

    from train.model import EmbeddingNet

    torch.manual_seed(0)
    return EmbeddingNet(dim=dim, width=width).eval()


def _copy_onnx_weights(path: Path, net: Any) -> bool:
    """Load ONNX initializers into the torch net by name; True when every tensor found its match."""
    import onnx
    import torch
    from onnx import numpy_helper

    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    state = net.state_dict()
    found = {k: inits[k] for k in state if k in inits and inits[k].shape == tuple(state[k].shape)}
    if len(found) != len(state):
        return False
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in found.items()})
    return True


def _exported_standin(workdir: Path) -> BenchModel:
    """Export a seeded EmbeddingNet (the default model's architecture) with a Lookalike manifest."""
    import onnx
    import torch

    net = _net(DEFAULT_DIM, DEFAULT_WIDTH)
    out = workdir / f"standin-{DEFAULT_WIDTH}-{DEFAULT_SIZE}-{DEFAULT_DIM}.onnx"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        example = torch.zeros(2, 3, DEFAULT_SIZE, DEFAULT_SIZE)
        tmp = out.with_suffix(".tmp")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                net,
                (example,),
                str(tmp),
                dynamo=False,
                input_names=["images"],
                output_names=["embeddings"],
                dynamic_axes={"images": {0: "batch"}, "embeddings": {0: "batch"}},
            )
        proto = onnx.load(str(tmp))
        for key, value in _manifest().to_metadata().items():
            proto.metadata_props.add(key=key, value=value)
        onnx.save(proto, str(out))
        tmp.unlink()
    return BenchModel(out, net, "stand-in: seeded train.model.EmbeddingNet exported here", True)


def _manifest() -> ModelManifest:
    return ModelManifest(
        preprocessing=Preprocessing(input_size=DEFAULT_SIZE, resize="letterbox"),
        embedding_dim=DEFAULT_DIM,
        thresholds={"best_accuracy": 0.9, "far_1e-3": 0.5, "far_1e-2": 0.7},
        name="bench-standin",
        training={"dim": DEFAULT_DIM, "width": DEFAULT_WIDTH},
    )


def torch_embed(net: Any, batch: np.ndarray, prep: Preprocessing) -> np.ndarray:
    """uint8 NHWC → embeddings with torch eager, fed exactly like the engine feeds ORT."""
    import torch

    from engine.preprocessing import normalize

    with torch.inference_mode():
        return np.asarray(net(torch.from_numpy(normalize(batch, prep))).numpy())
