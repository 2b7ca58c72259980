"""load_image on every mode and odd file the wild produces, each generated here on disk."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.errors import ImageLoadError
from lookalike.engine.images.loading import is_image_name, load_image
from PIL import Image

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def _pixel(img: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    pixel = img.getpixel(xy)
    assert isinstance(pixel, tuple)
    r, g, b = pixel
    return int(r), int(g), int(b)


def _close(got: tuple[int, int, int], want: tuple[int, int, int], tol: int = 0) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(got, want, strict=True))


def _palette_with_transparency(path: Path) -> Path:
    """Left half palette index 0 (red, declared transparent), right half index 1 (blue)."""
    img = Image.new("P", (20, 10), 0)
    img.putpalette([*RED, *BLUE] + [0, 0, 0] * 254)
    img.paste(1, (10, 0, 20, 10))
    img.save(path, transparency=0)
    return path


def _rgba(path: Path) -> Path:
    arr = np.zeros((10, 20, 4), np.uint8)
    arr[..., 0] = 255  # red everywhere, but only the right half is opaque
    arr[:, 10:, 3] = 255
    Image.fromarray(arr, "RGBA").save(path)
    return path


def _la(path: Path) -> Path:
    arr = np.zeros((10, 20, 2), np.uint8)  # black; left transparent, right opaque
    arr[:, 10:, 1] = 255
    Image.fromarray(arr, "LA").save(path)
    return path


def _rgb_trns(path: Path) -> Path:
    """An RGB PNG whose black is declared transparent (tRNS chunk, no alpha channel)."""
    img = Image.new("RGB", (20, 10), (0, 0, 0))
    img.paste(BLUE, (10, 0, 20, 10))
    img.save(path, transparency=(0, 0, 0))
    return path


def _l_trns(path: Path) -> Path:
    img = Image.new("L", (20, 10), 0)
    img.paste(255, (10, 0, 20, 10))
    img.save(path, transparency=0)
    return path


# (builder, file name, colour expected in the left half, colour in the right half)
TRANSPARENT_CASES = {
    "P+transparency": (_palette_with_transparency, "p.png", WHITE, BLUE),
    "RGBA": (_rgba, "rgba.png", WHITE, RED),
    "LA": (_la, "la.png", WHITE, (0, 0, 0)),
    "RGB+tRNS": (_rgb_trns, "rgb_trns.png", WHITE, BLUE),
    "L+tRNS": (_l_trns, "l_trns.png", WHITE, WHITE),
}


@pytest.mark.parametrize("case", sorted(TRANSPARENT_CASES))
def test_transparency_is_composited_on_white(tmp_path: Path, case: str) -> None:
    build, name, left, right = TRANSPARENT_CASES[case]
    img = load_image(build(tmp_path / name))
    assert img.mode == "RGB"
    assert img.size == (20, 10)
    assert _pixel(img, (2, 5)) == left
    assert _pixel(img, (17, 5)) == right


def test_half_transparent_black_becomes_mid_grey(tmp_path: Path) -> None:
    arr = np.zeros((4, 4, 2), np.uint8)
    arr[..., 1] = 128
    Image.fromarray(arr, "LA").save(tmp_path / "half.png")
    r, g, b = _pixel(load_image(tmp_path / "half.png"), (1, 1))
    assert r == g == b
    assert 120 <= r <= 135


def test_grey_l(tmp_path: Path) -> None:
    Image.new("L", (8, 6), 100).save(tmp_path / "l.png")
    img = load_image(tmp_path / "l.png")
    assert img.mode == "RGB"
    assert _pixel(img, (3, 3)) == (100, 100, 100)


def test_bilevel_1(tmp_path: Path) -> None:
    img = Image.new("1", (16, 8), 0)
    img.paste(1, (8, 0, 16, 8))
    img.save(tmp_path / "bw.png")
    out = load_image(tmp_path / "bw.png")
    assert out.mode == "RGB"
    assert _pixel(out, (2, 2)) == (0, 0, 0)
    assert _pixel(out, (12, 2)) == WHITE


@pytest.mark.parametrize(("fmt", "tol"), [("TIFF", 0), ("JPEG", 40)])
def test_cmyk(tmp_path: Path, fmt: str, tol: int) -> None:
    path = tmp_path / f"cmyk.{fmt.lower()}"
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(path, format=fmt)
    with Image.open(path) as check:
        assert check.mode == "CMYK"
    out = load_image(path)
    assert out.mode == "RGB"
    assert _close(_pixel(out, (8, 8)), RED, tol)


def test_sixteen_bit_grey_uses_its_full_range(tmp_path: Path) -> None:
    ramp = np.repeat(np.linspace(0, 65535, 256).astype(np.uint16)[None, :], 4, axis=0)
    Image.fromarray(ramp).save(tmp_path / "i16.png")
    with Image.open(tmp_path / "i16.png") as check:
        assert check.mode.startswith("I")
    grey = np.asarray(load_image(tmp_path / "i16.png"))[0, :, 0].astype(int)
    # Pillow's plain convert() clips 16-bit values at 255, leaving a white picture.
    assert grey[0] <= 1
    assert grey[-1] >= 254
    assert (np.diff(grey) >= 0).all()
    assert len(np.unique(grey)) > 200


def test_sixteen_bit_grey_is_read_as_sixteen_bit_whatever_its_maximum(tmp_path: Path) -> None:
    """16-bit 77 of 65535 is nearly black, as every viewer shows it (it used to be read as 8-bit 77)."""
    arr = np.full((4, 4), 77, np.uint16)
    Image.fromarray(arr).save(tmp_path / "low16.png")
    assert _pixel(load_image(tmp_path / "low16.png"), (1, 1)) == (0, 0, 0)


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_animated_gives_first_frame(tmp_path: Path, fmt: str) -> None:
    frames = [Image.new("RGB", (12, 12), c) for c in (RED, BLUE, (0, 255, 0))]
    path = tmp_path / f"anim.{fmt.lower()}"
    kwargs = {"lossless": True} if fmt == "WEBP" else {}
    frames[0].save(path, format=fmt, save_all=True, append_images=frames[1:], duration=50, loop=0, **kwargs)
    with Image.open(path) as check:
        assert getattr(check, "n_frames", 1) == 3
    out = load_image(path)
    assert out.mode == "RGB"
    assert _close(_pixel(out, (6, 6)), RED, 8)


def test_animated_gif_opened_on_a_later_frame_still_gives_the_first(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (12, 12), c) for c in (BLUE, RED)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=50)
    assert _close(_pixel(load_image(tmp_path / "a.gif"), (6, 6)), BLUE, 8)


def _left_red_right_blue(w: int, h: int) -> Image.Image:
    img = Image.new("RGB", (w, h), RED)
    img.paste(BLUE, (w // 2, 0, w, h))
    return img


@pytest.mark.parametrize(("orientation", "size", "red_at", "blue_at"), [
    (1, (40, 20), (5, 10), (35, 10)),
    (3, (40, 20), (35, 10), (5, 10)),  # 180°: left and right swap
    (6, (20, 40), (10, 5), (10, 35)),  # 90° clockwise: the stored left edge becomes the top
    (8, (20, 40), (10, 35), (10, 5)),  # 90° counter-clockwise: the left edge becomes the bottom
])  # fmt: skip
def test_exif_orientation_is_applied(
    tmp_path: Path,
    orientation: int,
    size: tuple[int, int],
    red_at: tuple[int, int],
    blue_at: tuple[int, int],
) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    _left_red_right_blue(40, 20).save(tmp_path / "o.jpg", exif=exif, quality=95)
    out = load_image(tmp_path / "o.jpg")
    assert out.size == size
    assert _close(_pixel(out, red_at), RED, 40)
    assert _close(_pixel(out, blue_at), BLUE, 40)


def _big_jpeg(path: Path, w: int, h: int) -> Path:
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (h // 50, w // 50, 3), dtype=np.uint8)
    Image.fromarray(small).resize((w, h)).save(path, quality=80)
    return path


def test_large_jpeg_decodes_at_reduced_size_but_not_below_min_side(tmp_path: Path) -> None:
    path = _big_jpeg(tmp_path / "big.jpg", 2000, 1500)
    full = load_image(path)
    assert full.size == (2000, 1500)
    for min_side in (64, 200, 700):
        small = load_image(path, min_side=min_side)
        assert min(small.size) >= min_side
        assert small.size[0] <= 1000  # draft decoded at 1/2 scale or less
        assert abs(small.size[0] / small.size[1] - 4 / 3) < 0.02


def test_jpeg_not_much_bigger_than_min_side_is_decoded_in_full(tmp_path: Path) -> None:
    path = _big_jpeg(tmp_path / "mid.jpg", 400, 300)
    assert load_image(path, min_side=200).size == (400, 300)


def test_draft_size_is_checked_after_exif_rotation(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    _big_jpeg(tmp_path / "src.jpg", 2000, 1000)
    with Image.open(tmp_path / "src.jpg") as src:
        src.save(tmp_path / "rot.jpg", exif=exif)
    out = load_image(tmp_path / "rot.jpg", min_side=100)
    assert out.size[1] > out.size[0]  # portrait after rotation
    assert min(out.size) >= 100
    assert max(out.size) <= 1000


def test_min_side_does_not_shrink_png(tmp_path: Path) -> None:
    Image.new("RGB", (600, 500), RED).save(tmp_path / "big.png")
    assert load_image(tmp_path / "big.png", min_side=32).size == (600, 500)


def test_opens_by_content_not_by_extension(tmp_path: Path) -> None:
    Image.new("RGB", (9, 7), BLUE).save(tmp_path / "really_png.jpg", format="PNG")
    Image.new("RGB", (9, 7), RED).save(tmp_path / "really_jpeg.png", format="JPEG")
    assert _pixel(load_image(tmp_path / "really_png.jpg"), (4, 3)) == BLUE
    assert _close(_pixel(load_image(tmp_path / "really_jpeg.png"), (4, 3)), RED, 10)


def test_real_dataset_images_load(image_data: Path) -> None:
    for sub in ("cards/10_of_clubs", "flags", "fashion-mnist"):
        first = sorted(p for p in (image_data / sub).rglob("*") if p.is_file())[0]
        img = load_image(first)
        assert img.mode == "RGB"
        assert min(img.size) > 0


def _png_header_only(path: Path, w: int, h: int) -> Path:
    """A PNG that declares w x h pixels (a decompression bomb) without the data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


def _truncated_jpeg(path: Path) -> Path:
    _big_jpeg(path, 300, 200)
    path.write_bytes(path.read_bytes()[:600])
    return path


def _text(path: Path) -> Path:
    path.write_text("this is not an image\n")
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _tga(path: Path) -> Path:
    Image.new("RGB", (8, 8), RED).save(path, format="TGA")
    return path


def _bomb(path: Path) -> Path:
    return _png_header_only(path, 30000, 30000)


def _missing(path: Path) -> Path:
    return path


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


BAD_FILES: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "text named .png": (_text, "notes.png", "not an image"),
    "empty file": (_empty, "empty.jpg", "empty"),
    "truncated jpeg": (_truncated_jpeg, "cut.jpg", "truncated"),
    "format outside the list": (_tga, "picture.png", "allowed"),
    "decompression bomb": (_bomb, "bomb.png", "too large"),
    "directory": (_directory, "folder.png", "directory"),
    "missing": (_missing, "gone.png", "not found"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_unreadable_file_raises_image_load_error_with_reason(tmp_path: Path, case: str) -> None:
    build, name, reason = BAD_FILES[case]
    path = build(tmp_path / name)
    with pytest.raises(ImageLoadError, match=reason) as info:
        load_image(path, min_side=32)
    assert "\n" not in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file, so permissions cannot be denied")
def test_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "secret.png"
    Image.new("RGB", (4, 4)).save(path)
    path.chmod(0)
    with pytest.raises(ImageLoadError, match="permission"):
        load_image(path)


def test_image_name_prefilter() -> None:
    assert is_image_name("a/B.JPG")
    assert is_image_name("x.webp")
    assert not is_image_name("notes.txt")
    assert not is_image_name("archive.tar.gz")
