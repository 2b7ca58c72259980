"""The one place where a file becomes an RGB image: used by the scanner, the GUI and training alike."""

from __future__ import annotations

import errno
import functools
import os
import stat
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO, TypeVar

from lookalike.engine.errors import ImageLoadError
from lookalike.engine.images.decode_budget import DECODE_BUDGET, peak_decode_bytes
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError, features

T = TypeVar("T")

# Formats opened by content; no other decoder (EPS via Ghostscript, say) is ever started.
ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF", "HEIF", "AVIF")
# Refuse images whose declared size would need more memory than any real photo does.
MAX_PIXELS = 100_000_000
IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".dib", ".tif", ".tiff", ".gif"}
    | {".heic", ".heif", ".hif", ".avif"}
)
# Magic bytes, only to word the reason for a file Pillow could not open (never to pick a decoder).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%!PS", "PostScript/EPS"),
    (b"\xc5\xd0\xd3\xc6", "PostScript/EPS"),
    (b"%PDF", "PDF"),
    (b"8BPS", "Photoshop"),
    (b"\x00\x00\x01\x00", "Windows icon"),
)


@functools.cache
def register_phone_formats() -> None:
    """HEIC/HEIF (pillow-heif) and AVIF (Pillow's own when built with libavif, else the plugin),
    on the first image load: importing them costs ~35 ms the app's start need not pay.

    pillow-heif applies the file's rotation itself and resets EXIF orientation to 1, so
    exif_transpose below never turns a HEIC twice.
    """
    import pillow_heif

    pillow_heif.register_heif_opener()
    if not features.check("avif"):
        import pillow_avif  # noqa: F401  (registers AVIF on import)


Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow refuses above 2x this at open; _decode refuses above 1x
# Pillow only warns between 1x and 2x; _decode refuses those itself, so the warning is noise. (A
# per-call catch_warnings would not do: it swaps process-wide state and decoding runs in threads.)
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
ImageFile.LOAD_TRUNCATED_IMAGES = False


def load_image(path: str | os.PathLike[str], min_side: int | None = None) -> Image.Image:
    """Open any allowed image file as upright RGB; min_side lets big JPEGs decode at reduced size."""
    return load_prepared(path, _same, min_side)


def _same(img: Image.Image) -> Image.Image:
    return img


def load_prepared(
    path: str | os.PathLike[str], prepare: Callable[[Image.Image], T], min_side: int | None = None
) -> T:
    """Decode and `prepare` (e.g. resize to the model input) inside one reservation of the shared
    decode budget, so full-size pixels never outnumber the budget, however many threads decode."""
    register_phone_formats()
    with _open_regular(path) as fh:
        try:
            with (
                Image.open(fh, formats=ALLOWED_FORMATS) as img,
                DECODE_BUDGET.reserve(_reservation(img, min_side)),
            ):
                return prepare(_to_rgb(_decode(img, min_side)))
        except ImageLoadError:
            raise
        except UnidentifiedImageError as exc:
            raise ImageLoadError(_unidentified_reason(fh)) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageLoadError(f"image too large (decompression bomb guard: {exc})") from exc
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
            raise ImageLoadError(f"corrupt or truncated image: {_short(exc)}") from exc
        except Exception as exc:
            raise ImageLoadError(f"cannot decode image: {type(exc).__name__}: {_short(exc)}") from exc


def _reservation(img: Image.Image, min_side: int | None) -> int:
    """Peak bytes for this image, counting the reduced JPEG decode that _decode will ask for."""
    w, h = img.size
    if min_side and img.format == "JPEG" and min(w, h) > 2 * min_side:
        shrink = min(8, 1 << max(0, int(min(w, h) / min_side).bit_length() - 1))
        w, h = -(-w // shrink), -(-h // shrink)
    return peak_decode_bytes(w, h, img.mode)


@contextmanager
def _open_regular(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open without blocking and insist on a regular file: a FIFO or device named .jpg never hangs us."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ImageLoadError(_open_reason(exc)) from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "is a directory" if stat.S_ISDIR(mode) else "not a regular file (a FIFO, device or socket)"
        raise ImageLoadError(kind)
    with os.fdopen(fd, "rb") as fh:
        yield fh


def _open_reason(exc: OSError) -> str:
    """Why a file could not even be opened, in the user's words."""
    if isinstance(exc, FileNotFoundError):
        return "file not found (removed during the scan?)"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return f"cannot open: {exc.strerror or exc}"


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
    try:
        upright = ImageOps.exif_transpose(img)
    except Exception:
        # Unparseable EXIF (Pillow raises or warns): the pixels are fine, keep them as stored.
        upright = None
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
    """Map 16/32-bit grey to 8 bits. 16-bit data (every I;16 mode, and 16-bit PNGs that Pillow opens
    as I) always keeps its high byte, as Pillow does for 48-bit RGB: the same picture gives the same
    pixels whatever its maximum. Only 32-bit and float data, which have no fixed white, are
    stretched by their range. Row blocks keep the temporaries small (no float64 copy of the image)."""
    import numpy as np

    arr = np.asarray(img)
    out = np.empty(arr.shape, dtype=np.uint8)
    sixteen_bit = img.mode.startswith("I;16") or (img.mode == "I" and img.format == "PNG")
    lo, hi = (0.0, 65535.0) if sixteen_bit else (float(arr.min()), float(arr.max()))
    rows = max(1, (1 << 22) // max(1, arr.shape[1]))
    for start in range(0, arr.shape[0], rows):
        block = arr[start : start + rows]
        if sixteen_bit:
            out[start : start + rows] = np.clip(block, 0, 65535).astype(np.uint16) >> 8
        else:
            scaled = (block.astype(np.float32) - lo) * np.float32(255.0 / max(hi - lo, 1e-12))
            out[start : start + rows] = np.clip(scaled + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(out, mode="L")


def _unidentified_reason(fh: BinaryIO) -> str:
    """Say why Pillow could not identify a file: empty, damaged, a disallowed format, or not an image."""
    try:
        fh.seek(0)
        head = fh.read(16)
    except OSError:
        return "cannot be read"
    if not head:
        return "empty file (0 bytes)"
    kind = _sniff(head)
    allowed = ", ".join(ALLOWED_FORMATS)
    if kind in ALLOWED_FORMATS:
        return f"corrupt {kind} file (its header cannot be parsed)"
    if kind is not None:
        return f"{kind} file: not an allowed image format ({allowed})"
    return f"not an image, or a format outside the allowed list ({allowed})"


def _sniff(head: bytes) -> str | None:
    """Name a file's format from its first bytes (for the message only)."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        return "AVIF" if head[8:12] in (b"avif", b"avis") else "HEIF"
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def is_image_name(name: str) -> bool:
    """Cheap pre-filter for folder scans: content decides later, but skip obvious non-images."""
    return os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES
