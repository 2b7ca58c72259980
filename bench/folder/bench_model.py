"""The network the benchmarks run: the bundled ONNX model and the same network in torch eager.

The bundled model (assets/model.onnx) is used when it exists; its torch twin is the network the
manifest's training config names (train.models.networks's EmbeddingNet, the pretrained backbone's
PretrainedEmbedder or the HybridEmbedder) built with the sizes it records, with the ONNX weights copied in
where name and shape match (speed does not depend on the weights; every convolution matching by
name and shape shows it is the same network). Without a bundled model, a seeded EmbeddingNet is
exported to ONNX here instead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.images.preprocessing import Preprocessing
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.manifest import ModelManifest

DEFAULT_DIM = 128
DEFAULT_WIDTH = 32
DEFAULT_SIZE = 64


@dataclass(frozen=True)
class BenchModel:
    """An ONNX file, its torch twin (eval mode) and where they came from."""

    onnx_path: Path
    torch_model: Any
    origin: str
    weights: str  # how many torch tensors took their values from the ONNX file


def bench_model(workdir: Path) -> BenchModel:
    """The bundled model and its torch twin, or an exported stand-in when assets/ has no model yet."""
    bundled = default_model_path()
    if bundled.is_file():
        return _from_bundled(bundled)
    return _exported_standin(workdir)


def _from_bundled(path: Path) -> BenchModel:
    from lookalike.engine.model.embedder import Embedder

    manifest = Embedder(path, device="cpu").manifest
    config = (manifest.training or {}).get("config", {})
    dim = int(config.get("dim", manifest.embedding_dim))
    backbone = config.get("backbone", "compact")
    if backbone == "compact":
        net = _net(dim, int(config.get("width", DEFAULT_WIDTH)))
    elif backbone == "hybrid":
        net = _hybrid_net(dim, manifest.preprocessing.input_size)
    else:
        net = _pretrained_net(dim, int(config.get("tune_blocks", 1)))
    return BenchModel(path, net, f"bundled {path.name}", _copy_onnx_weights(path, net))


def _pretrained_net(dim: int, tune_blocks: int) -> Any:
    from lookalike.train.models.pretrained import PretrainedEmbedder

    return PretrainedEmbedder(dim, tune_blocks, pretrained=False).eval()


def _hybrid_net(dim: int, size: int) -> Any:
    from lookalike.train.models.hybrid import HybridEmbedder

    return HybridEmbedder(dim, image_size=size, pretrained=False).eval()


def _net(dim: int, width: int) -> Any:
    import torch
    from lookalike.train.models.networks import EmbeddingNet

    torch.manual_seed(0)
    return EmbeddingNet(dim=dim, width=width).eval()


def _copy_onnx_weights(path: Path, net: Any) -> str:
    """Copy ONNX initializers into the torch net where name and shape match; say how many did.

    Every convolution matching by name and shape shows the architecture is the same; batch-norm
    tensors may be folded or renamed by the exporter, which changes values, not speed."""
    import onnx
    import torch
    from onnx import numpy_helper

    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    state = net.state_dict()
    found = {k: inits[k] for k in state if k in inits and inits[k].shape == tuple(state[k].shape)}
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in found.items()}, strict=False)
    convs = [k for k, v in state.items() if v.ndim == 4]
    same = "all" if all(k in found for k in convs) else "NOT all"
    return f"{len(found)} of {len(state)} tensors copied from ONNX; {same} {len(convs)} convolutions match"


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
    return BenchModel(
        out, net, "stand-in: seeded train.models.networks.EmbeddingNet exported here", "identical (exported)"
    )


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
    from lookalike.engine.images.preprocessing import normalize

    with torch.inference_mode():
        return np.asarray(net(torch.from_numpy(normalize(batch, prep))).numpy())
