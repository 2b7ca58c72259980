"""ONNX export with the manifest inside, checked by ONNX Runtime against torch on real images."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from lookalike.engine.images.preprocessing import Preprocessing
from lookalike.engine.metrics.verification import Calibration
from lookalike.engine.model.manifest import ModelManifest
from lookalike.train.data.normalization import normalize_torch

PARITY_TOLERANCE = 1e-4
INPUT_NAME = "images"
OUTPUT_NAME = "embeddings"


class ExportError(RuntimeError):
    """The exported graph is invalid or disagrees with the torch model."""


def build_manifest(
    prep: Preprocessing,
    dim: int,
    calibration: Calibration,
    training: dict[str, Any],
    metrics: dict[str, Any],
    version: str,
) -> ModelManifest:
    """Everything the engine needs to use the model right, with thresholds from held-out classes."""
    return ModelManifest(
        preprocessing=prep,
        embedding_dim=dim,
        thresholds={k: float(v) for k, v in calibration.thresholds.items()},
        distance="euclidean",
        histograms=calibration.histograms,
        training=training,
        metrics=metrics,
        version=version,
    )


def export_onnx(
    model: torch.nn.Module, manifest: ModelManifest, out: Path, check_images: np.ndarray
) -> float:
    """Write out (one self-contained file), validate it and return the ORT-vs-torch max abs diff."""
    import onnx

    model = model.cpu().eval()
    size = manifest.preprocessing.input_size
    example = torch.zeros(2, 3, size, size)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.onnx")
    try:  # whatever fails (export, check, parity), the temporary file goes
        _torch_export(model, example, tmp)
        proto = onnx.load(str(tmp))
        for key, value in manifest.to_metadata().items():
            proto.metadata_props.add(key=key, value=value)
        onnx.checker.check_model(proto, full_check=True)
        onnx.save(proto, str(tmp))
        diff = parity(model, tmp, check_images, manifest.preprocessing)
        if diff > PARITY_TOLERANCE:
            raise ExportError(f"ONNX Runtime differs from torch by {diff:.2e} (> {PARITY_TOLERANCE})")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return diff


def _torch_export(model: torch.nn.Module, example: torch.Tensor, path: Path) -> None:
    """Dynamo export with a dynamic batch; the TorchScript exporter is the fallback."""
    with _quiet_export():
        try:
            torch.onnx.export(
                model,
                (example,),
                str(path),
                dynamo=True,
                verbose=False,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_shapes=({0: torch.export.Dim("batch")},),
                external_data=False,
            )
            return
        except OSError:
            raise  # the destination said no (read-only, full): the other exporter would fail the same
        except Exception as exc:
            logging.getLogger(__name__).warning("dynamo export failed (%s); using TorchScript", exc)
        torch.onnx.export(
            model,
            (example,),
            str(path),
            dynamo=False,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
        )


@contextmanager
def _quiet_export() -> Iterator[None]:
    """Silence the exporter's known, harmless chatter (torchvision op registration, pytree)."""
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=r".*isinstance\(treespec, LeafSpec\)", category=FutureWarning
            )
            warnings.filterwarnings(
                "ignore", message=r".*TorchScript-based ONNX export", category=DeprecationWarning
            )
            yield
    finally:
        registration.setLevel(level)


def parity(model: torch.nn.Module, path: Path, images: np.ndarray, prep: Preprocessing) -> float:
    """Max abs difference between ONNX Runtime and torch outputs on real images (batch 1 and N)."""
    from lookalike.engine.model.onnx_runtime import import_onnxruntime

    ort = import_onnxruntime()

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = normalize_torch(torch.from_numpy(images), prep)
    with torch.no_grad():
        want = model(x).numpy()
    got = session.run(None, {INPUT_NAME: x.numpy()})[0]
    one = session.run(None, {INPUT_NAME: x[:1].numpy()})[0]
    if got.shape != want.shape or one.shape != want[:1].shape:
        raise ExportError(f"ONNX output shape {got.shape} differs from torch {want.shape}")
    return float(max(np.abs(got - want).max(), np.abs(one - want[:1]).max()))
