"""Image → model input: the single definition shared by inference (engine) and training (train/).

Two steps, so training can cache the slow one: `fit_to_input` (PIL resize to the model's input
size, uint8 HWC) is done once per image; `normalize` (mean/std, channel order, NCHW float32) is
cheap array math applied to every batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

RESIZE_POLICIES = ("squash", "letterbox", "center-crop")


@dataclass(frozen=True)
class Preprocessing:
    """How a model wants its input; stored in the model's manifest so the engine never guesses."""

    input_size: int = 64
    resize: str = "letterbox"
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    channel_order: str = "RGB"
    pad_value: int = 255

    def __post_init__(self) -> None:
        if self.resize not in RESIZE_POLICIES:
            raise ValueError(f"resize must be one of {RESIZE_POLICIES}, not {self.resize!r}")
        if self.channel_order not in ("RGB", "BGR"):
            raise ValueError(f"channel_order must be RGB or BGR, not {self.channel_order!r}")
        if self.input_size < 8:
            raise ValueError(f"input_size must be >= 8, not {self.input_size}")
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise ValueError("mean and std need three values each, std > 0")


def fit_to_input(img: Image.Image, prep: Preprocessing) -> np.ndarray:
    """Resize an RGB image to the model's square input by the manifest's policy; uint8 HWC."""
    size = prep.input_size
    if prep.resize == "squash":
        out = img.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    elif prep.resize == "center-crop":
        w, h = img.size
        side = min(w, h)
        box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
        out = img.resize((size, size), Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)
    else:
        out = _letterbox(img, size, prep.pad_value)
    return np.asarray(out.convert("RGB"), dtype=np.uint8)


def _letterbox(img: Image.Image, size: int, pad: int) -> Image.Image:
    """Keep the aspect ratio (a flag's shape is part of its identity) and pad to a square."""
    w, h = img.size
    scale = size / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = img.resize((nw, nh), Image.Resampling.BILINEAR, reducing_gap=2.0)
    canvas = Image.new("RGB", (size, size), (pad, pad, pad))
    canvas.paste(resized, ((size - nw) // 2, (size - nh) // 2))
    return canvas


def normalize(batch: np.ndarray, prep: Preprocessing) -> np.ndarray:
    """uint8 NHWC (or one HWC) → float32 NCHW in the model's channel order, mean/std applied."""
    arr = np.asarray(batch)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise ValueError(f"expected NHWC with 3 channels, got shape {arr.shape}")
    if prep.channel_order == "BGR":
        arr = arr[..., ::-1]
    scale = np.float32(1.0 / 255.0)
    mean = np.asarray(prep.mean, dtype=np.float32)
    std = np.asarray(prep.std, dtype=np.float32)
    out = (arr.astype(np.float32) * scale - mean) / std
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))
