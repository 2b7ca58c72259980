"""The one place where a file becomes an RGB image: used by the scanner, the GUI and training alike."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from engine.errors import ImageLoadError

# Formats opened by content; no other decoder (EPS via Ghostscript, say) is ever started.
ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF")
# Refuse images whose declared size would need more memory than any real photo does.
MAX_PIXELS = 100_000_000
IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".dib", ".tif", ".tiff", ".gif"}
)

Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False


def load_image(path: str | os.PathLike[str], min_side: int | None = None) -> Image.Image:
    """Open any allowed image file as upright RGB; min_side lets big JPEGs decode at reduced size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=ALLOWED_FORMATS) as img:
                return _to_rgb(_decode(img, min_side))
    except ImageLoadError:
        raise
    except FileNotFoundError as exc:
        raise ImageLoadError("file not found (removed during the scan?)") from exc
    except PermissionError as exc:
        raise ImageLoadError("permission denied") from exc
    except IsADirectoryError as exc:
        raise ImageLoadError("is a directory") from exc
    except UnidentifiedImageError as exc:
        raise ImageLoadError(_unidentified_reason(Path(path))) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError(f"image too large (decompression bomb guard: {exc})") from exc
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise ImageLoadError(f"corrupt or truncated image: {_short(exc)}") from exc
    except Exception as exc:
        raise ImageLoadError(f"cannot decode image: {type(exc).__name__}: {_short(exc)}") from exc


def _decode(img: Image.Image, min_side: int | None) -> Image.Image:
    """Pick the first frame, let JPEG decode at reduced scale, and apply EXIF orientation."""
    w, h = img.size
    if w < 1 or h < 1:
        raise ImageLoadError(f"empty image ({w}x{h})")
    if w * h > MAX_PIXELS:
        raise ImageLoadError(f"image too large ({w}x{h} pixels)")
    if getattr(img, "n_frames", 1) > 1:
        img.seek(0)
    if min_side and img.format == "JPEG" and min(w, h) > 2 * min_side:
        # draft() picks the largest DCT scale (1/2, 1/4, 1/8) that keeps both sides >= request.
        scale = min(w, h) / min_side
        img.draft("RGB", (max(1, int(w / scale)), max(1, int(h / scale))))
    img.load()
    upright = ImageOps.exif_transpose(img)
    return upright if upright is not None else img


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert every mode to RGB, compositing transparency on white so it never shows as black."""
    mode = img.mode
    if mode == "RGB" and "transparency" not in img.info:
        return img.copy()
    if mode == "P" or mode == "PA" or (mode in ("L", "RGB") and "transparency" in img.info):
        # L/RGB PNGs can declare one colour transparent (tRNS) without an alpha channel.
        img = img.convert("RGBA")
    elif mode in ("I;16", "I;16B", "I;16L", "I;16N", "I") or mode == "F":
        img = _wide_to_l(img)
    if img.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def _wide_to_l(img: Image.Image) -> Image.Image:
    """Scale 16/32-bit grey to 8 bits by its real range (Pillow's convert would clip at 255)."""
    import numpy as np

    arr = np.asarray(img, dtype=np.float64)
    lo, hi = float(arr.min()), float(arr.max())
    if hi <= 255 and lo >= 0:
        scaled = arr
    elif img.mode.startswith("I;16"):
        scaled = arr / 257.0
    else:
        scaled = (arr - lo) * (255.0 / max(hi - lo, 1e-12))
    return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8), mode="L")


def _unidentified_reason(path: Path) -> str:
    """Say why Pillow could not identify a file: empty, a disallowed format, or not an image."""
    try:
        size = path.stat().st_size
    except OSError:
        return "cannot be read"
    if size == 0:
        return "empty file (0 bytes)"
    return "not an image, or a format outside the allowed list (" + ", ".join(ALLOWED_FORMATS) + ")"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def is_image_name(name: str) -> bool:
    """Cheap pre-filter for folder scans: content decides later, but skip obvious non-images."""
    return Path(name).suffix.lower() in IMAGE_SUFFIXES
