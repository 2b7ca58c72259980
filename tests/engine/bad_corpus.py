"""Generate a folder of hostile, broken and awkward image files (nothing downloaded), reusable by any test.

`make_bad_corpus(folder)` writes the files and returns {relative path: "ok" | "skipped"}: what a scan
must do with each one (embed it, or list it with a reason). Only image-named files are in the map.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from lookalike.engine.images.loading import register_phone_formats
from PIL import Image

register_phone_formats()  # HEIC/AVIF files are written with the plugins' own encoders
OK, SKIPPED = "ok", "skipped"
Writer = Callable[[Path], object]


def sample_rgb(width: int = 48, height: int = 36, seed: int = 0) -> Image.Image:
    """A deterministic, asymmetric RGB picture (gradients + a block), so rotations change it."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    arr = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x + y) % 256], -1)
    arr[: height // 3, : width // 4] = rng.integers(0, 256, 3)
    return Image.fromarray(arr.astype(np.uint8), "RGB")


def encoded(img: Image.Image, fmt: str, **params: object) -> bytes:
    """Image → file bytes in `fmt`."""
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with a correct CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_size(width: int, height: int) -> bytes:
    """A PNG that declares huge dimensions but carries one tiny IDAT: a decompression bomb header."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def jpeg_with_size(width: int, height: int) -> bytes:
    """A real small JPEG whose SOF0 header is rewritten to declare `width` x `height`."""
    data = bytearray(encoded(sample_rgb(16, 16), "JPEG", quality=90))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def bad_crc_png() -> bytes:
    """A valid PNG whose IHDR checksum is flipped."""
    data = bytearray(encoded(sample_rgb(), "PNG"))
    data[29] ^= 0xFF  # last byte of IHDR's CRC (8 signature + 4 len + 4 type + 13 data)
    return bytes(data)


def ztxt_bomb_png() -> bytes:
    """A valid PNG carrying a compressed text chunk that inflates to 64 MB."""
    data = encoded(sample_rgb(), "PNG")
    bomb = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * (64 << 20), 9))
    return data[:33] + bomb + data[33:]


def animated(fmt: str) -> bytes:
    """Three frames of different colour (the first one is embedded)."""
    frames = [Image.new("RGB", (32, 24), c) for c in ((200, 30, 30), (30, 200, 30), (30, 30, 200))]
    return encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def exif_rotated_jpeg(orientation: int = 6) -> bytes:
    """A JPEG stored sideways with an EXIF orientation tag; upright it is `sample_rgb()`."""
    stored = sample_rgb().transpose(STORED_FOR_ORIENTATION[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encoded(stored, "JPEG", quality=95, exif=exif.tobytes())


# How a camera stores an upright picture for each orientation tag (the inverse of exif_transpose).
STORED_FOR_ORIENTATION = {
    9: Image.Transpose.TRANSPOSE,  # not a valid tag value: the picture is kept as stored
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}


def exif_rotated_photo(fmt: str, orientation: int = 6) -> bytes:
    """A HEIF or AVIF photo stored sideways with an EXIF orientation tag (the plugins' own encoders)."""
    stored = sample_rgb().transpose(STORED_FOR_ORIENTATION[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encoded(stored, fmt, quality=95, exif=exif.tobytes())


def corrupt_exif_jpeg() -> bytes:
    """A JPEG whose EXIF block is cut short (Pillow warns while reading it at open)."""
    return encoded(sample_rgb(), "JPEG", quality=95, exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff")


def png_without_trailer() -> bytes:
    """A PNG whose IEND chunk is missing but whose pixels are all there: it must still load."""
    data = encoded(sample_rgb(), "PNG")
    return data[: data.rfind(b"IEND") - 4]


def multipage_tiff() -> bytes:
    """A TIFF with three pages of different sizes."""
    pages = [sample_rgb(40, 30, s) for s in range(3)]
    pages[1] = pages[1].resize((20, 50))
    return encoded(pages[0], "TIFF", save_all=True, append_images=pages[1:])


def eps_text() -> bytes:
    """A PostScript file: Pillow could open it only by starting Ghostscript, which must never happen."""
    return b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto showpage\n"


def _bytes(data: bytes) -> Writer:
    return lambda path: path.write_bytes(data)


def _image(img: Image.Image, fmt: str, **params: object) -> Writer:
    return _bytes(encoded(img, fmt, **params))


def _cut(data: bytes, fraction: float) -> Writer:
    return _bytes(data[: int(len(data) * fraction)])


def _grey16() -> Image.Image:
    ramp = (np.arange(64 * 48).reshape(48, 64) * 21).astype(np.uint16)
    return Image.fromarray(ramp)


def _rgb48_png() -> bytes:
    """A 16-bit-per-channel RGB PNG, written by hand (Pillow cannot save one)."""
    h, w = 24, 32
    arr = (np.arange(h * w * 3).reshape(h, w, 3) * 97 % 65536).astype(">u2")
    rows = b"".join(b"\x00" + arr[r].tobytes() for r in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def _palette_transparent() -> Image.Image:
    img = sample_rgb().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    img.info["transparency"] = 0
    return img


def _good_writers() -> dict[str, Writer]:
    base = sample_rgb()
    return {
        "good/plain.jpg": _image(base, "JPEG", quality=90),
        "good/plain.png": _image(base, "PNG"),
        "good/plain.bmp": _image(base, "BMP"),
        "good/still.webp": _image(base, "WEBP", quality=90),
        "good/png_named_as.jpg": _image(base, "PNG"),
        "good/one_pixel.png": _image(Image.new("RGB", (1, 1), (10, 200, 30)), "PNG"),
        "good/strip_10000x10.png": _image(sample_rgb(10000, 10), "PNG"),
        "good/strip_10x10000.png": _image(sample_rgb(10, 10000), "PNG"),
        "good/grey16.png": _image(_grey16(), "PNG"),
        "good/rgb48.png": _bytes(_rgb48_png()),
        "good/cmyk.jpg": _image(base.convert("CMYK"), "JPEG", quality=90),
        "good/palette_transparent.png": _image(_palette_transparent(), "PNG"),
        "good/la.png": _image(base.convert("LA"), "PNG"),
        "good/rgba.png": _image(base.convert("RGBA"), "PNG"),
        "good/bilevel.png": _image(base.convert("1"), "PNG"),
        "good/float.tif": _image(base.convert("F"), "TIFF"),
        "good/animated.gif": _bytes(animated("GIF")),
        "good/animated.webp": _bytes(animated("WEBP")),
        "good/exif_rotated.jpg": _bytes(exif_rotated_jpeg(6)),
        "good/multipage.tif": _bytes(multipage_tiff()),
        "good/exif_orientation_9.jpg": _bytes(exif_rotated_jpeg(9)),
        "good/png_without_trailer.png": _bytes(png_without_trailer()),
        "good/photo.heic": _image(base, "HEIF", quality=90),
        "good/photo.avif": _image(base, "AVIF", quality=90),
        "good/heic_named_as.jpg": _image(base, "HEIF", quality=90),
        "good/exif_rotated.heic": _bytes(exif_rotated_photo("HEIF")),
        "good/exif_rotated.avif": _bytes(exif_rotated_photo("AVIF")),
    }


def _hostile_name_writers() -> dict[str, Writer]:
    data = encoded(sample_rgb(seed=3), "PNG")
    names = [
        "name with spaces.png",
        "ünïcødé 画像 🖼.png",
        "new\nline.png",
        "-leading-dash.png",
        "--help.png",
        "<img src=x onerror=alert(1)>.png",
        "<script>/inside.png",
        "quote'double\"back\\slash.png",
        "dir.jpg/inside.png",
    ]
    return {f"names/{n}" if not n.startswith("<script>") else n: _bytes(data) for n in names}


def _bad_writers() -> dict[str, Writer]:
    jpeg = encoded(sample_rgb(96, 72), "JPEG", quality=90)
    png = encoded(sample_rgb(96, 72), "PNG")
    writers: dict[str, Writer] = {
        "bad/empty.jpg": _bytes(b""),
        "bad/text.jpg": _bytes(b"this is not a picture\n" * 20),
        "bad/html.png": _bytes(b"<!doctype html><html><script>alert(1)</script></html>"),
        "bad/png_bad_crc.png": _bytes(bad_crc_png()),
        "bad/bomb_huge.png": _bytes(png_with_size(100_000, 100_000)),
        "bad/bomb_over_limit.png": _bytes(png_with_size(12_000, 12_000)),
        "bad/bomb_huge.jpg": _bytes(jpeg_with_size(65_000, 65_000)),
        "bad/png_text_bomb.png": _bytes(ztxt_bomb_png()),
        "bad/postscript.jpg": _bytes(eps_text()),
        "bad/pcx_not_allowed.png": _image(sample_rgb(), "PCX"),
        "bad/tga_not_allowed.jpg": _image(sample_rgb(), "TGA"),
        "bad/ico_not_allowed.png": _image(sample_rgb(32, 32), "ICO"),
    }
    for frac in (0.05, 0.3, 0.6, 0.95):
        writers[f"bad/jpeg_cut_{int(frac * 100)}pct.jpg"] = _cut(jpeg, frac)
    idat_start, idat_end = _idat_span(png)
    for frac in (0.0, 0.5, 0.9):
        cut = idat_start + int((idat_end - idat_start) * frac)
        writers[f"bad/png_cut_{int(frac * 100)}pct_of_pixels.png"] = _bytes(png[:cut])
    writers["bad/png_cut_in_header.png"] = _bytes(png[:20])
    for fmt, suffix in (("HEIF", "heic"), ("AVIF", "avif")):
        photo = encoded(sample_rgb(96, 72), fmt, quality=90)
        for frac in (0.1, 0.5, 0.9):
            writers[f"bad/{suffix}_cut_{int(frac * 100)}pct.{suffix}"] = _cut(photo, frac)
        writers[f"bad/{suffix}_cut_in_header.{suffix}"] = _bytes(photo[:16])
    return writers


def _idat_span(png: bytes) -> tuple[int, int]:
    """Byte range of the (first) IDAT chunk's data: cutting inside it loses pixels."""
    at = png.find(b"IDAT")
    length = struct.unpack(">I", png[at - 4 : at])[0]
    return at + 4, at + 4 + length


def _write_all(folder: Path, writers: dict[str, Writer], expected: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for rel, write in writers.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
        out[rel] = expected
    return out


def _special_files(folder: Path) -> dict[str, str]:
    """Links, a FIFO, a device and an unreadable file: things that hang or crash naive scanners."""
    special = folder / "special"
    special.mkdir(parents=True, exist_ok=True)
    (special / "loop").symlink_to("..", target_is_directory=True)
    (special / "self_loop").symlink_to("self_loop")
    (special / "dangling.jpg").symlink_to("does-not-exist.jpg")
    (special / "self_loop.jpg").symlink_to("self_loop.jpg")
    (special / "link_to_good.png").symlink_to("../good/plain.png")
    (special / "zero_device.jpg").symlink_to("/dev/zero")
    os.mkfifo(special / "fifo.jpg")
    locked = special / "unreadable.png"
    locked.write_bytes(encoded(sample_rgb(), "PNG"))
    locked.chmod(0)
    readable = os.access(locked, os.R_OK)  # root reads it anyway
    return {
        "special/dangling.jpg": SKIPPED,
        "special/self_loop.jpg": SKIPPED,
        "special/link_to_good.png": OK,
        "special/zero_device.jpg": SKIPPED,
        "special/fifo.jpg": SKIPPED,
        "special/unreadable.png": OK if readable else SKIPPED,
    }


def make_bad_corpus(folder: Path) -> dict[str, str]:
    """Write the whole corpus under `folder`; return {relative path: "ok" | "skipped"}."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = _write_all(folder, _good_writers(), OK)
    expected |= _write_all(folder, _hostile_name_writers(), OK)
    expected |= _write_all(folder, _bad_writers(), SKIPPED)
    expected |= _special_files(folder)
    (folder / "not_an_image.txt").write_text("ignored: not image-named\n")
    return expected


def unlock_corpus(folder: Path) -> None:
    """Give back read permission, so temp-dir clean-up never trips over the corpus."""
    locked = folder / "special" / "unreadable.png"
    if locked.exists():
        locked.chmod(0o644)
