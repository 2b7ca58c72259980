"""Is it the same picture? A pixel-level check that backs the embedding for duplicates.

The embedding is trained to say "same class": it is made blind to exactly what tells two drawings
of one class apart, so on its own it groups different pictures of a class as duplicates. This check
compares the two pictures themselves, after undoing what a near-copy does to them:

- a crop of up to 5 % of the area: the pair is aligned by trying crops of each picture (a grid of
  14 boxes keeping 97.5-100 % of each side) against the other whole, and a pair found close on
  that grid again on one twice as fine (FINE_KEEPS);
- resizing and re-encoding: both are compared at a size below the smaller picture's own
  (LEVELS; about two thirds of its shorter side, 8 to 40 pixels), where those leave little trace;
- brightness and contrast: each picture is normalised to zero mean and unit spread.

What is left of a near-copy is noise spread thin; two different pictures differ *somewhere* (the
"8" and the "3" in the corner of two cards of one deck). So the distance is the largest local
difference: the root-mean-square difference, slightly blurred (BLUR), in a window an eighth of the
picture wide, at its worst place away from the border (which a crop changes). Measured on planted
near-copies of every shared set (bench/duplicates/duplicate_truth.py), it separates copies from
different pictures where a global distance on an 8×8 thumbnail could not (cards, fashion-mnist,
chess pieces).

This module is the measure of one picture against another; engine.duplicates.picture_pairs runs
it over many pairs (a folder's candidates) holding little per picture.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from lookalike.engine.errors import ImageLoadError
from lookalike.engine.folder.cpu_split import cpu_cores
from lookalike.engine.images.loading import load_prepared
from PIL import Image
from scipy.ndimage import gaussian_filter, uniform_filter

THUMB_SIDE = 96  # pictures are kept this small (longest side) between reading and comparing
LEVELS = (8, 12, 16, 24, 32, 40)  # comparison sizes (square), chosen per pair
# What a check over many pictures may hold of their wholes (engine.duplicates.picture_pairs keeps
# one per picture at its comparison size): 40-px wholes take 4.8 KB a picture, so past ~70,000
# pictures the comparisons stop at 32 px (3 KB; 100,000 pictures: 307 MB). Measured on the bundled
# model's calibration pictures with its thresholds: at 32 px copies found 0.973 (0.974 at 40) and
# different pictures taken for duplicates at most 5.1e-4 of a kind's pairs (5.0e-4 at 40).
WHOLES_BUDGET = 340_000_000
SIZE_RATIO = 1.5  # compare at no more than the smaller picture's shorter side / this
KEEPS = ((1.0, 1), (0.9875, 2), (0.975, 3))  # share of each side a crop keeps, positions per axis
# The finer grid that pairs closer than REFINE_BELOW are aligned on again: steps of 1/160 of a side
# (a quarter of a pixel at 40), 55 boxes, every box of KEEPS among them. Planted copies are cropped
# anywhere from 0 to 2.5 % a side; KEEPS' 1/80 steps leave up to half a pixel of misalignment on
# sharp edges, which reads as a different picture: calibration copies found on cards 0.84 -> 0.92
# with it (measured with comparisons up to 48 px); with comparisons up to 40 px as well, all the
# calibration's copies found 0.929 -> 0.974 at the same false rate (bench/results/duplicate_truth.md).
FINE_KEEPS = ((1.0, 1), (0.99375, 2), (0.9875, 3), (0.98125, 4), (0.975, 5))
# Pairs whose distance on KEEPS is below this are aligned on FINE_KEEPS too (their distance is the
# fine one). Calibration pairs of every shared kind closer than 0.4 on the fine grid measured at
# most 0.52 on the coarse one; about 4 % of the calibration's candidate pairs fall below it, so the
# fine grid (4 times the crops) adds little to the check.
REFINE_BELOW = 0.6
WINDOW = 1 / 8  # the local window, as a share of the comparison size
# Gaussian blur of the difference before it is measured, in pixels at the 32-pixel comparison size
# (in proportion below it): resampling and JPEG leave one-pixel ripples at sharp edges, which a
# different picture does not need to be told apart. Proportional, because at 8-16 pixels a pixel is
# the texture that tells two small pictures apart (a fixed 0.7-pixel blur grouped different
# fashion-mnist garments). Chosen on planted copies, 4 folders per set (bench/duplicates/
# duplicate_truth.py), recalibrated: copies found 0.91 -> 0.96 on chess pieces, 0.69 -> 0.72 on
# cards, no set lower; originals pulled in 0.019 -> 0 on fashion-mnist, 0 -> 0.006 on chess pieces.
BLUR = 0.7
BORDER = 0.06  # share of each side left out of the local maximum: a crop changes the border
CAP = 1.99  # distances stop here (manifest thresholds lie in 0..2; far apart is far apart)
MISSING = np.inf  # the distance of a pair whose picture could not be read: never the same
# Unaligned distance past which the crop search is skipped: planted near-copies of every shared set
# (4 seeds) measured at most 1.01 before alignment (glyphs: sharp edges moved by the crop); with
# comparisons up to 40 px, calibration copies measure at most 1.24 (cards).
SETTLED = 1.4
MAX_PARTNERS = 512  # pairs compared in one array operation (~10 MB of pictures at 40×40)


@dataclass(frozen=True)
class Thumb:
    """A picture kept for comparison: RGB pixels (longest side <= THUMB_SIDE) and the shorter side
    of the image it came from (what decides how finely the pair can be compared)."""

    pixels: np.ndarray  # (h, w, 3) uint8
    side: int


def thumbnail(img: Image.Image) -> Thumb:
    """The picture as the check keeps it."""
    rgb = img.convert("RGB")
    side = min(rgb.size)
    if max(rgb.size) > THUMB_SIDE:
        scale = THUMB_SIDE / max(rgb.size)
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.BOX)
    return Thumb(np.asarray(rgb, np.uint8), side)


def file_thumbnails(paths: Sequence[str | os.PathLike[str]]) -> list[Thumb | None]:
    """Thumbnails of image files, read on every core (decoding releases the GIL: 3,000 bench
    files 1.13 -> 0.84 s on 2 cores); None where a file cannot be read (it matches nothing)."""
    if len(paths) < 2:
        return [_file_thumbnail(p) for p in paths]
    with ThreadPoolExecutor(max_workers=cpu_cores(), thread_name_prefix="thumbnails") as pool:
        return list(pool.map(_file_thumbnail, paths))


def _file_thumbnail(path: str | os.PathLike[str]) -> Thumb | None:
    try:
        return load_prepared(path, thumbnail, 2 * THUMB_SIDE)
    except (ImageLoadError, OSError, ValueError):
        return None


def level(side_a: int, side_b: int, top: int = LEVELS[-1]) -> int:
    """The comparison size of a pair: the largest level within the smaller picture's detail (and
    at most `top`)."""
    limit = min(min(side_a, side_b) / SIZE_RATIO, top)
    return max([s for s in LEVELS if s <= limit], default=LEVELS[0])


def largest_level(n_pictures: int) -> int:
    """The largest comparison size whose wholes for `n_pictures` fit WHOLES_BUDGET."""
    fits = [s for s in LEVELS if n_pictures * s * s * 3 <= WHOLES_BUDGET]
    return max(fits, default=LEVELS[0])


def pixel_key(t: Thumb) -> tuple[tuple[int, ...], bytes]:
    """What identifies a picture's pixels: shape and a 128-bit digest (not a copy of the bytes)."""
    return t.pixels.shape, hashlib.blake2b(t.pixels.tobytes(), digest_size=16).digest()


def whole(t: Thumb, size: int) -> np.ndarray:
    """The picture resized to size × size, kept as bytes (uint8 RGB): normalised floats would take
    4 times the memory for every picture of a big folder, and normalising a stack of partners is
    one cheap numpy pass (normalised)."""
    return np.asarray(Image.fromarray(t.pixels).resize((size, size), Image.Resampling.BILINEAR))


def crops(t: Thumb, size: int, keeps: Sequence[tuple[float, int]] = KEEPS) -> np.ndarray:
    """The picture's crop grid (`keeps`) at `size`×`size`, each normalised: (crops, size, size, 3)."""
    img = Image.fromarray(t.pixels)
    w, h = img.size
    boxes = [
        (fx * w, fy * h, (fx + keep) * w, (fy + keep) * h)
        for keep, n in keeps
        for fx in np.linspace(0.0, 1.0 - keep, n)
        for fy in np.linspace(0.0, 1.0 - keep, n)
    ]
    pixels = b"".join(img.resize((size, size), Image.Resampling.BILINEAR, box=box).tobytes() for box in boxes)
    return normalised(np.frombuffer(pixels, np.uint8).reshape(len(boxes), size, size, 3))


def normalised(pictures: np.ndarray) -> np.ndarray:
    """Each picture (the leading axis) at zero mean and unit spread: brightness and contrast
    changes do not count. One numpy pass for a whole crop grid."""
    v = pictures.astype(np.float32)
    v -= v.mean(axis=(1, 2, 3), keepdims=True)
    spread = v.std(axis=(1, 2, 3), keepdims=True)
    return np.divide(v, spread, out=v, where=spread > 0)


def largest_local_differences(diff: np.ndarray) -> np.ndarray:
    """Root-mean-square difference in the worst window of each pair (blurred by BLUR), the border
    left out."""
    size = diff.shape[1]
    win = max(1, round(size * WINDOW))
    sigma = BLUR * size / 32
    smooth = gaussian_filter(diff, sigma=(0, sigma, sigma, 0), mode="nearest")
    local = uniform_filter((smooth**2).mean(axis=3), size=(1, win, win), mode="nearest")
    edge = max(1, round(size * BORDER))
    return np.minimum(CAP, np.sqrt(local[:, edge:-edge, edge:-edge].max(axis=(1, 2)), dtype=np.float64))
