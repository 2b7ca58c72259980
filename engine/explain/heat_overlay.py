"""Draw an occlusion heat map over its image: the one rendering shared by the CLI and the app.

Every picture drawn here is capped (MAX_SIDE for an overlay, MAX_PANEL_WIDTH × height for each
half of the side-by-side strip), whatever the source's shape: a 1×20000 strip once asked for a
6,400,000 × 320 canvas and ran out of memory.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# A short perceptual ramp (dark blue → red → yellow), interpolated: no matplotlib needed.
_RAMP = np.array(
    [[13, 8, 135], [126, 3, 168], [204, 71, 120], [248, 149, 64], [240, 249, 33]], dtype=np.float32
)


def colour_map(heat: np.ndarray) -> np.ndarray:
    """Positive gains scaled to [0, 1] by the peak → uint8 RGB (H, W, 3); nothing hot is all dark."""
    peak = float(heat.max())
    scaled = np.clip(heat / peak, 0.0, 1.0) if peak > 0 else np.zeros(heat.shape, dtype=np.float32)
    pos = scaled * (len(_RAMP) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(_RAMP) - 2)
    t = (pos - lo)[..., None]
    return ((1 - t) * _RAMP[lo] + t * _RAMP[lo + 1]).astype(np.uint8)


MAX_SIDE = 2048  # the longest side of an overlay: more than any view shows or the strip keeps
MAX_PANEL_WIDTH = 1024  # each half of the side-by-side strip


def capped(image: Image.Image, max_side: int = MAX_SIDE) -> Image.Image:
    """The image, shrunk (aspect kept, never below 1 px) when its longer side exceeds max_side."""
    if max(image.size) <= max_side:
        return image
    w, h = image.size
    scale = max_side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def overlay(image: Image.Image, heat: np.ndarray, opacity: float = 0.5) -> Image.Image:
    """The image with its heat map on top: hot regions at `opacity` (0: image only), cold ones clear."""
    rgb = capped(image.convert("RGB"))
    colours = Image.fromarray(colour_map(heat)).resize(rgb.size, Image.Resampling.BILINEAR)
    # Opacity follows the heat too: regions that do not matter keep their own colours.
    peak = float(heat.max())
    weight = np.clip(heat / peak, 0.0, 1.0) if peak > 0 else np.zeros(heat.shape, dtype=np.float32)
    alpha = Image.fromarray((weight * 255 * float(np.clip(opacity, 0.0, 1.0))).astype(np.uint8))
    return Image.composite(colours, rgb, alpha.resize(rgb.size, Image.Resampling.BILINEAR))


def side_by_side(left: Image.Image, right: Image.Image, height: int = 320, gap: int = 8) -> Image.Image:
    """Two images on a white strip `height` px tall, each fitted into MAX_PANEL_WIDTH × height
    (the `lookalike explain --out` picture); a very wide image is centred, never stretched."""
    scaled = [_fit(im, MAX_PANEL_WIDTH, height) for im in (left, right)]
    canvas = Image.new("RGB", (scaled[0].width + gap + scaled[1].width, height), (255, 255, 255))
    canvas.paste(scaled[0], (0, (height - scaled[0].height) // 2))
    canvas.paste(scaled[1], (scaled[0].width + gap, (height - scaled[1].height) // 2))
    return canvas


def _fit(image: Image.Image, width: int, height: int) -> Image.Image:
    scale = min(width / image.width, height / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0 if scale < 1 else None)
