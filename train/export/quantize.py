"""int8 export: ONNX Runtime static quantisation (QDQ, per-channel weights) of an exported model.

Activation ranges come from training images (never the held-out ones the quality is scored on);
the manifest travels along, so the engine uses an int8 model exactly like the float one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from lookalike.engine.images.preprocessing import Preprocessing, normalize
from lookalike.engine.model.manifest import METADATA_KEY

CALIBRATION_IMAGES = 256
CALIBRATION_BATCH = 32


def int8_path(fp32: Path) -> Path:
    """model.onnx → model.int8.onnx beside it."""
    return fp32.with_name(fp32.stem + ".int8.onnx")


def calibration_sample(images: np.ndarray, seed: int) -> np.ndarray:
    """Up to CALIBRATION_IMAGES training images, drawn seeded."""
    n = min(CALIBRATION_IMAGES, len(images))
    return images[np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))]


def quantize_int8(fp32: Path, out: Path, images: np.ndarray, prep: Preprocessing) -> Path:
    """Write an int8 copy of fp32 at out, calibrated on uint8 NHWC images; returns out."""
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    tmp = out.with_name(out.name + ".tmp.onnx")
    try:  # a failed quantisation leaves no temporary file behind
        quantize_static(
            str(fp32),
            str(tmp),
            _Reader(images, prep, _input_name(fp32)),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        proto, source = onnx.load(str(tmp)), onnx.load(str(fp32), load_external_data=False)
        manifest = {p.key: p.value for p in source.metadata_props}[METADATA_KEY]
        del proto.metadata_props[:]
        proto.metadata_props.add(key=METADATA_KEY, value=manifest)
        onnx.save(proto, str(tmp))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _input_name(path: Path) -> str:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return str(session.get_inputs()[0].name)


class _Reader:
    """ONNX Runtime's CalibrationDataReader protocol: get_next() until None."""

    def __init__(self, images: np.ndarray, prep: Preprocessing, name: str) -> None:
        self.batches: Iterator[np.ndarray] = (
            normalize(images[i : i + CALIBRATION_BATCH], prep)
            for i in range(0, len(images), CALIBRATION_BATCH)
        )
        self.name = name

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self.batches, None)
        return None if batch is None else {self.name: batch}
