"""Is it the same picture? A pixel-level check that backs the embedding for duplicates.

The embedding is trained to say "same class": it is made blind to exactly what tells two drawings
of one class apart, so on its own it groups different pictures of a class as duplicates. This check
compares the two pictures themselves, after undoing what a near-copy does to them:

- a crop of up to 5 % of the area: the pair is aligned by trying crops of each picture (a grid of
  14 boxes keeping 97.5-100 % of each side) against the other whole;
- resizing and re-encoding: both are compared at a size below the smaller picture's own
  (LEVELS; about two thirds of its shorter side, 8 to 32 pixels), where those leave little trace;
- brightness and contrast: each picture is normalised to zero mean and unit spread.

What is left of a near-copy is noise spread thin; two different pictures differ *somewhere* (the
"8" and the "3" in the corner of two cards of one deck). So the distance is the largest local
difference: the root-mean-square difference, slightly blurred (BLUR), in a window an eighth of the
picture wide, at its worst place away from the border (which a crop changes). Measured on planted
near-copies of every shared set (bench/duplicates/duplicate_truth.py), it separates copies from
different pictures where a global distance on an 8×8 thumbnail could not (cards, fashion-mnist,
chess pieces).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from lookalike.engine.errors import ImageLoadError
from lookalike.engine.folder.cpu_split import cpu_cores
from lookalike.engine.images.loading import load_prepared
from lookalike.engine.job_hooks import JobHooks
from PIL import Image
from scipy.ndimage import gaussian_filter, uniform_filter

THUMB_SIDE = 64  # pictures are kept this small (longest side) between reading and comparing
LEVELS = (8, 12, 16, 24, 32)  # comparison sizes (square), chosen per pair
SIZE_RATIO = 1.5  # compare at no more than the smaller picture's shorter side / this
KEEPS = ((1.0, 1), (0.9875, 2), (0.975, 3))  # share of each side a crop keeps, positions per axis
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
# (4 seeds) measured at most 1.01 before alignment (glyphs: sharp edges moved by the crop).
SETTLED = 1.4
MAX_PARTNERS = 512  # pairs compared in one array operation (~6 MB of pictures at 32×32)
# Pairs (and files) per piece of work, with progress and a chance to stop between pieces. Pairs
# arrive sorted by their first picture, so a piece keeps most of a picture's partners together
# (its crops are made once per piece).
PIECE_PAIRS = 4096
PIECE_FILES = 256


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


def file_thumbnails(
    paths: Sequence[str | os.PathLike[str]], hooks: JobHooks | None = None
) -> list[Thumb | None]:
    """Thumbnails of image files, read on every core; None where a file cannot be read (it
    matches nothing)."""
    out: list[Thumb | None] = [None] * len(paths)

    def piece(start: int) -> int:
        for k in range(start, min(start + PIECE_FILES, len(paths))):
            out[k] = _file_thumbnail(paths[k])
        return min(PIECE_FILES, len(paths) - start)

    # Decoding releases the GIL: 3,000 bench files 1.13 -> 0.84 s on 2 cores.
    in_pieces(piece, range(0, len(paths), PIECE_FILES), len(paths), hooks, workers=cpu_cores())
    return out


def _file_thumbnail(path: str | os.PathLike[str]) -> Thumb | None:
    try:
        return load_prepared(path, thumbnail, 2 * THUMB_SIDE)
    except (ImageLoadError, OSError, ValueError):
        return None


def in_pieces(
    piece: Callable[[int], int], starts: range, total: int, hooks: JobHooks | None, workers: int = 1
) -> None:
    """Run piece(start) for every start in `workers` threads; after each piece, report how much is
    done (piece returns its size) and stop if the caller asked to: JobCancelledError, without
    waiting for pieces not yet started."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="picture-check")
    try:
        futures: list[Future[int]] = [pool.submit(piece, start) for start in starts]
        done = 0
        for future in futures:
            done += future.result()
            if hooks is not None:
                hooks.step(done, total)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def level(side_a: int, side_b: int) -> int:
    """The comparison size of a pair: the largest level within the smaller picture's detail."""
    limit = min(side_a, side_b) / SIZE_RATIO
    return max([s for s in LEVELS if s <= limit], default=LEVELS[0])


def picture_distance(a: Thumb, b: Thumb) -> float:
    """The distance of one pair (0 for the same pixels; a near-copy stays well below 1)."""
    return float(pair_picture_distances([a, b], np.array([0]), np.array([1]))[0])


def pair_picture_distances(
    thumbs: Sequence[Thumb | None], first: np.ndarray, second: np.ndarray, hooks: JobHooks | None = None
) -> np.ndarray:
    """The distance of each pair (thumbs[first[k]], thumbs[second[k]]); MISSING where one is None.

    Pictures with the same pixels are at 0 at once (a folder of a thousand copies of one file), and
    pairs already SETTLED apart before alignment keep that distance (most candidates of a big
    folder: the crop search is the costly part). Otherwise each picture's crops are made once per
    size it is compared at, for all its partners together; the best crop is found by one matrix
    product, and only its difference is examined. Pairs go in pieces of PIECE_PAIRS, with `hooks`
    told after each piece.
    """
    first, second = np.asarray(first), np.asarray(second)
    out = np.full(len(first), MISSING)
    keys = [None if t is None else _pixel_key(t) for t in thumbs]
    wholes = _Wholes(thumbs)

    def piece(start: int) -> int:
        part = slice(start, start + PIECE_PAIRS)
        out[part] = _piece_distances(thumbs, keys, (first[part], second[part]), wholes)
        return len(out[part])

    # One thread: the check is many small numpy, scipy and PIL calls that hold the GIL between
    # them; two threads took 12.4 s where one takes 9.0 (30,000 pairs of the 30k bench folder).
    in_pieces(piece, range(0, len(first), PIECE_PAIRS), len(first), hooks)
    return out


def _piece_distances(
    thumbs: Sequence[Thumb | None],
    keys: Sequence[tuple[tuple[int, ...], bytes] | None],
    pairs: tuple[np.ndarray, np.ndarray],
    wholes: _Wholes,
) -> np.ndarray:
    """pair_picture_distances for one piece of pairs."""
    first, second = pairs
    out = np.full(len(first), MISSING)
    same = np.array(
        [keys[i] is not None and keys[i] == keys[j] for i, j in zip(first, second, strict=True)], bool
    )
    out[same] = 0.0
    present = np.array(
        [thumbs[i] is not None and thumbs[j] is not None for i, j in zip(first, second, strict=True)], bool
    )
    todo = np.flatnonzero(~same & present)
    unaligned = _unaligned(thumbs, first[todo], second[todo], wholes)
    settled = unaligned >= SETTLED
    out[todo[settled]] = unaligned[settled]
    todo = todo[~settled]
    _align(thumbs, (first, second), todo, wholes, out)
    return out


def _pixel_key(t: Thumb) -> tuple[tuple[int, ...], bytes]:
    """What identifies a picture's pixels: shape and a 128-bit digest (not a copy of the bytes)."""
    return t.pixels.shape, hashlib.blake2b(t.pixels.tobytes(), digest_size=16).digest()


def _align(
    thumbs: Sequence[Thumb | None],
    pairs: tuple[np.ndarray, np.ndarray],
    todo: np.ndarray,
    wholes: _Wholes,
    out: np.ndarray,
) -> None:
    """Fill out[todo] with each pair's distance at its best alignment: crops of either picture
    against the other whole, the best by mean squared difference, then its largest local one."""
    first, second = pairs
    best_sq = np.full(len(first), np.inf)
    for a, b in ((first[todo], second[todo]), (second[todo], first[todo])):
        for rows, crops_of, partners in _crop_groups(thumbs, a, b):
            w = wholes.stack(partners, crops_of.shape[1])
            flat_c, flat_w = crops_of.reshape(len(crops_of), -1), w.reshape(len(w), -1)
            sq = (flat_w**2).sum(1)[:, None] + (flat_c**2).sum(1)[None] - 2.0 * flat_w @ flat_c.T
            pick = sq.argmin(axis=1)
            sq_best = sq[np.arange(len(rows)), pick] / flat_c.shape[1]  # mean squared difference
            better = np.flatnonzero(sq_best < best_sq[todo[rows]])
            if len(better):
                best_sq[todo[rows[better]]] = sq_best[better]
                out[todo[rows[better]]] = _largest_local_differences(crops_of[pick[better]] - w[better])


def _unaligned(thumbs: Sequence[Thumb | None], a: np.ndarray, b: np.ndarray, wholes: _Wholes) -> np.ndarray:
    """The distance of each pair with no alignment (whole against whole), MAX_PARTNERS at a time."""
    out = np.empty(len(a))
    sizes = np.array([level(thumbs[i].side, thumbs[j].side) for i, j in zip(a, b, strict=True)], int)
    for size in np.unique(sizes):
        rows = np.flatnonzero(sizes == size)
        for k in range(0, len(rows), MAX_PARTNERS):
            part = rows[k : k + MAX_PARTNERS]
            diff = wholes.stack(a[part], int(size)) - wholes.stack(b[part], int(size))
            out[part] = _largest_local_differences(diff)
    return out


class _Wholes:
    """Each picture whole at a comparison size, resized once (a picture has many partners) and
    kept as bytes: normalised floats would take 4 times the memory for every picture of a big
    folder, and normalising a stack of partners is one cheap numpy pass."""

    def __init__(self, thumbs: Sequence[Thumb | None]) -> None:
        self.thumbs = thumbs
        self.made: dict[tuple[int, int], np.ndarray] = {}

    def pixels(self, row: int, size: int) -> np.ndarray:
        """The picture resized to size × size (uint8 RGB)."""
        key = (row, size)
        if key not in self.made:
            t = self.thumbs[row]
            assert t is not None  # partners without a thumbnail are dropped in _crop_groups
            whole = Image.fromarray(t.pixels).resize((size, size), Image.Resampling.BILINEAR)
            self.made[key] = np.asarray(whole)
        return self.made[key]

    def stack(self, rows: Sequence[int] | np.ndarray, size: int) -> np.ndarray:
        """The pictures of `rows` at `size`, each normalised: (len(rows), size, size, 3) float32."""
        return _normalised(np.stack([self.pixels(int(r), size) for r in rows]))


def _crop_groups(
    thumbs: Sequence[Thumb | None], a: np.ndarray, b: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, list[int]]]:
    """(pair rows, the crops of picture a at the pairs' size, their partners b), a picture at a time."""
    order = np.argsort(a, kind="stable")
    for start, end in _runs(a[order]):
        here = order[start:end]
        ta = thumbs[int(a[here[0]])]
        if ta is None:
            continue
        by_size: dict[int, list[int]] = {}
        for r in here:
            tb = thumbs[int(b[r])]
            if tb is not None:
                by_size.setdefault(level(ta.side, tb.side), []).append(int(r))
        for size, rows in by_size.items():
            crops_of = _crops(ta, size)
            for k in range(0, len(rows), MAX_PARTNERS):
                part = np.asarray(rows[k : k + MAX_PARTNERS])
                yield part, crops_of, [int(b[r]) for r in part]


def _runs(sorted_values: np.ndarray) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of equal values."""
    if len(sorted_values) == 0:
        return
    edges = np.flatnonzero(np.diff(sorted_values)) + 1
    bounds = np.concatenate([[0], edges, [len(sorted_values)]])
    yield from zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)


def _crops(t: Thumb, size: int) -> np.ndarray:
    """The picture's crop grid at `size`×`size`, each normalised: (crops, size, size, 3)."""
    img = Image.fromarray(t.pixels)
    w, h = img.size
    boxes = [
        (fx * w, fy * h, (fx + keep) * w, (fy + keep) * h)
        for keep, n in KEEPS
        for fx in np.linspace(0.0, 1.0 - keep, n)
        for fy in np.linspace(0.0, 1.0 - keep, n)
    ]
    pixels = b"".join(img.resize((size, size), Image.Resampling.BILINEAR, box=box).tobytes() for box in boxes)
    return _normalised(np.frombuffer(pixels, np.uint8).reshape(len(boxes), size, size, 3))


def _normalised(pictures: np.ndarray) -> np.ndarray:
    """Each picture (the leading axis) at zero mean and unit spread: brightness and contrast
    changes do not count. One numpy pass for a whole crop grid."""
    v = pictures.astype(np.float32)
    v -= v.mean(axis=(1, 2, 3), keepdims=True)
    spread = v.std(axis=(1, 2, 3), keepdims=True)
    return np.divide(v, spread, out=v, where=spread > 0)


def _largest_local_differences(diff: np.ndarray) -> np.ndarray:
    """Root-mean-square difference in the worst window of each pair (blurred by BLUR), the border
    left out."""
    size = diff.shape[1]
    win = max(1, round(size * WINDOW))
    sigma = BLUR * size / 32
    smooth = gaussian_filter(diff, sigma=(0, sigma, sigma, 0), mode="nearest")
    local = uniform_filter((smooth**2).mean(axis=3), size=(1, win, win), mode="nearest")
    edge = max(1, round(size * BORDER))
    return np.minimum(CAP, np.sqrt(local[:, edge:-edge, edge:-edge].max(axis=(1, 2)), dtype=np.float64))
