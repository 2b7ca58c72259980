"""The picture check (engine.duplicates.picture_check) over many pairs, holding little per picture.

A big folder's duplicate candidates are a few pairs per picture over nearly every picture: 597,000
pairs over 98,000 pictures at 100,000 images. Holding every picture's thumbnail through the whole
check took 12 KB a picture, 1.2 GB at 100k (the app's and the CLI's peak). Instead each picture is
read again when a step needs it, and only what the next step uses is kept:

1. read once: each picture's digest, shorter side, and its whole at its own largest comparison
   size (3 KB at 32 pixels, 4.8 KB at 40; picture_check.WHOLES_BUDGET bounds the sum); the
   thumbnail is dropped;
2. a picture paired with a smaller one is also compared at that one's size: read again for it;
3. every pair whole against whole; most candidates are SETTLED apart here;
4. the pictures of the pairs left are read again a piece at a time, their crops made once per
   size and compared with their partners' wholes (both ways round), and dropped;
5. the pairs found close (REFINE_BELOW) are aligned again on the finer crop grid, the same way.

The distances are the same as comparing with every thumbnail held
(tests/engine/duplicates/test_picture_pairs.py); re-reading costs the decoding of the files of the
pairs that need alignment, once more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from lookalike.engine.duplicates.picture_check import (
    FINE_KEEPS,
    KEEPS,
    MAX_PARTNERS,
    MISSING,
    REFINE_BELOW,
    SETTLED,
    Thumb,
    crops,
    file_thumbnails,
    largest_level,
    largest_local_differences,
    level,
    normalised,
    pixel_key,
    whole,
)
from lookalike.engine.job_hooks import JobHooks

PIECE = 256  # pictures read (and aligned) per piece of work: progress and a chance to stop between


class ThumbSource(Protocol):
    """Where pictures come from, by row, as often as the check asks."""

    def read(self, rows: Sequence[int]) -> list[Thumb | None]:
        """Thumbnails of these rows; None where one cannot be read (it matches nothing)."""
        ...


@dataclass(frozen=True)
class HeldThumbs:
    """Thumbnails already in memory (calibration, one pair, tests)."""

    thumbs: Sequence[Thumb | None]

    def read(self, rows: Sequence[int]) -> list[Thumb | None]:
        """The held thumbnails of these rows."""
        return [self.thumbs[r] for r in rows]


@dataclass(frozen=True)
class FileThumbs:
    """Image files, decoded again each time they are asked for (on every core)."""

    paths: Sequence[str | os.PathLike[str]]

    def read(self, rows: Sequence[int]) -> list[Thumb | None]:
        """The thumbnails of these rows' files."""
        return file_thumbnails([self.paths[r] for r in rows])


Key = tuple[tuple[int, ...], bytes]


class _Kept:
    """What stays of the pictures between steps: each one's digest and shorter side (None: not
    readable, or changed since it was first read), and its wholes, one uint8 array per size with a
    row per picture: 100,000 separate 3 KB arrays are as many heap blocks, which stay resident
    after the check is over."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows
        self.top = largest_level(len(rows))  # the largest comparison size: memory bounded
        self.facts: dict[int, tuple[Key, int] | None] = {}
        self.key_ids = np.full(len(rows), -1, np.int64)  # one number per distinct digest; -1: not ok
        self._id_of: dict[Key, int] = {}
        self._wholes: dict[int, np.ndarray] = {}
        self._held: dict[int, np.ndarray] = {}

    def add(self, row: int, t: Thumb | None) -> None:
        """A picture as first read: its facts and its whole at its own largest size."""
        if t is None:
            self.facts[row] = None
            return
        key = pixel_key(t)
        self.facts[row] = (key, t.side)
        self.key_ids[self._pos(row)] = self._id_of.setdefault(key, len(self._id_of))
        own = level(t.side, t.side, self.top)
        self.put(row, own, whole(t, own))

    def put(self, row: int, size: int, pixels: np.ndarray) -> None:
        """Keep a picture's whole at one size (the size's array made on first use; calloc'd, so
        only rows written take memory)."""
        if size not in self._wholes:
            self._wholes[size] = np.zeros((len(self.rows), size, size, 3), np.uint8)
            self._held[size] = np.zeros(len(self.rows), bool)
        pos = self._pos(row)
        self._wholes[size][pos] = pixels
        self._held[size][pos] = True

    def ok(self, row: int) -> bool:
        """Whether the picture was read (and has not changed since)."""
        return self.facts.get(row) is not None

    def key(self, row: int) -> Key | None:
        """The picture's digest, None when it is not ok."""
        facts = self.facts.get(row)
        return None if facts is None else facts[0]

    def side(self, row: int) -> int:
        """The shorter side of the image the picture came from (only asked of ok pictures)."""
        facts = self.facts[row]
        assert facts is not None
        return facts[1]

    def holds(self, row: int, size: int) -> bool:
        """Whether the picture's whole at `size` is kept."""
        return size in self._held and bool(self._held[size][self._pos(row)])

    def drop(self, row: int) -> None:
        """Forget a picture found gone or changed: none of its pairs is the same picture."""
        self.facts[row] = None
        self.key_ids[self._pos(row)] = -1

    def stack(self, rows: np.ndarray, size: int) -> np.ndarray:
        """The wholes of `rows` at `size`, each normalised: (len(rows), size, size, 3) float32."""
        return normalised(self._wholes[size][np.searchsorted(self.rows, rows)])

    def _pos(self, row: int) -> int:
        return int(np.searchsorted(self.rows, row))


def picture_distance(a: Thumb, b: Thumb) -> float:
    """The distance of one pair (0 for the same pixels; a near-copy stays well below 1)."""
    return float(pair_picture_distances([a, b], np.array([0]), np.array([1]))[0])


def pair_picture_distances(
    source: ThumbSource | Sequence[Thumb | None],
    first: np.ndarray,
    second: np.ndarray,
    hooks: JobHooks | None = None,
) -> np.ndarray:
    """The distance of each pair (source row first[k], row second[k]); MISSING where one of them
    cannot be read. Pictures with the same pixels are at 0 at once, pairs SETTLED apart before
    alignment keep that distance, the rest are aligned (picture_check). `hooks` hear one bar:
    pictures read, pairs compared whole, pictures aligned."""
    src = HeldThumbs(source) if isinstance(source, Sequence) else source
    first, second = np.asarray(first, np.int64), np.asarray(second, np.int64)
    rows = np.unique(np.concatenate([first, second]))
    bar = _Bar(hooks or JobHooks(), 2 * len(rows) + len(first))
    bar.skip_to(0)
    kept = _read_kept(src, rows, bar)
    out = np.full(len(first), MISSING)
    present, sizes = _pair_sizes(kept, first, second)
    same = _same_pixels(kept, first, second)
    out[same] = 0.0
    todo = np.flatnonzero(present & ~same)
    _add_smaller_wholes(src, kept, (first[todo], second[todo], sizes[todo]))
    unaligned = _unaligned(kept, (first[todo], second[todo], sizes[todo]), bar)
    settled = unaligned >= SETTLED
    out[todo[settled]] = unaligned[settled]
    bar.skip_to(len(rows) + len(first))
    pairs, left = (first, second, sizes), todo[~settled]
    _align(src, kept, pairs, (left, out), bar, KEEPS)
    close = left[out[left] < REFINE_BELOW]
    quiet = _Bar(JobHooks(cancelled=bar.hooks.cancelled), len(close))  # a short pass at the end
    _align(src, kept, pairs, (close, out), quiet, FINE_KEEPS)
    return out


def _pair_sizes(kept: _Kept, first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(whether both pictures were read, the comparison size) of each pair, a slice of pairs at a
    time (lists of every pair's rows were freed in one call holding the GIL, _Positions)."""
    present = np.zeros(len(first), bool)
    sizes = np.zeros(len(first), np.int64)
    for start in range(0, len(first), PIECE):
        rows_a, rows_b = first[start : start + PIECE].tolist(), second[start : start + PIECE].tolist()
        for k, (i, j) in enumerate(zip(rows_a, rows_b, strict=True), start):
            if kept.ok(i) and kept.ok(j):
                present[k], sizes[k] = True, level(kept.side(i), kept.side(j), kept.top)
    return present, sizes


def _same_pixels(kept: _Kept, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Whether each pair's two pictures have the same pixels (a folder of a thousand copies), by
    the digests' numbers: a list of every pair's two digests (320,000 pairs at 100,000 images) was
    freed in one ~60 ms GIL-holding call, a stall of the app's window."""
    a = kept.key_ids[np.searchsorted(kept.rows, first)]
    return (a >= 0) & (a == kept.key_ids[np.searchsorted(kept.rows, second)])


@dataclass
class _Bar:
    """One progress bar through the steps, with a chance to stop after each piece."""

    hooks: JobHooks
    total: int
    done: int = 0

    def advance(self, n: int) -> None:
        self.skip_to(self.done + n)

    def skip_to(self, done: int) -> None:
        self.done = done
        self.hooks.step(done, self.total)


def _pieces(src: ThumbSource, rows: Sequence[int]) -> Iterator[tuple[list[int], list[Thumb | None]]]:
    """Rows a piece at a time with their thumbnails, the next piece read while the caller works on
    this one (decoding releases the GIL: the re-reading hides behind the comparing)."""
    rows = [int(r) for r in rows]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as pool:
        ahead = pool.submit(src.read, rows[:PIECE]) if rows else None
        for start in range(0, len(rows), PIECE):
            assert ahead is not None
            piece, thumbs = rows[start : start + PIECE], ahead.result()
            after = rows[start + PIECE : start + 2 * PIECE]
            ahead = pool.submit(src.read, after) if after else None
            yield piece, thumbs


def _read_kept(src: ThumbSource, rows: np.ndarray, bar: _Bar) -> _Kept:
    """Step 1: digest, side and the whole at the picture's own largest size, a piece at a time."""
    kept = _Kept(rows)
    for piece, thumbs in _pieces(src, rows.tolist()):
        for r, t in zip(piece, thumbs, strict=True):
            kept.add(r, t)
        bar.advance(len(piece))
    return kept


def _add_smaller_wholes(
    src: ThumbSource, kept: _Kept, pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    """Step 2: wholes at the sizes a picture's pairs need beyond its own (a smaller partner)."""
    need: dict[int, set[int]] = {}
    for a, b, size in zip(*pairs, strict=True):
        for r in (int(a), int(b)):
            if kept.ok(r) and not kept.holds(r, int(size)):
                need.setdefault(r, set()).add(int(size))
    for piece, thumbs in _pieces(src, sorted(need)):
        for r, t in zip(piece, thumbs, strict=True):
            if t is None or pixel_key(t) != kept.key(r):  # gone or changed since: never the same
                kept.drop(r)
                continue
            for size in need[r]:
                kept.put(r, size, whole(t, size))


def _unaligned(kept: _Kept, pairs: tuple[np.ndarray, np.ndarray, np.ndarray], bar: _Bar) -> np.ndarray:
    """Step 3: each pair's distance whole against whole, MAX_PARTNERS pairs at a time."""
    a, b, sizes = pairs
    out = np.full(len(a), MISSING)
    for size in np.unique(sizes):
        where = np.flatnonzero(sizes == size)
        for k in range(0, len(where), MAX_PARTNERS):
            part = where[k : k + MAX_PARTNERS]
            present = [kept.ok(int(a[p])) and kept.ok(int(b[p])) for p in part]
            part = part[np.asarray(present, bool)]  # a picture found changed in step 2 is missing
            if len(part):
                diff = kept.stack(a[part], int(size)) - kept.stack(b[part], int(size))
                out[part] = largest_local_differences(diff)
            bar.advance(min(MAX_PARTNERS, len(where) - k))
    return out


def _align(
    src: ThumbSource,
    kept: _Kept,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    into: tuple[np.ndarray, np.ndarray],
    bar: _Bar,
    keeps: Sequence[tuple[float, int]],
) -> None:
    """Step 4 (into = todo, out): out[todo] at each pair's best alignment on the crop grid `keeps`,
    crops of either picture against the other whole, the best by mean squared difference (the
    first picture's crops win a tie), then its largest local difference. Pictures are read a piece
    at a time; each one's crops at a size are made once for both ways round. Step 5 runs it again
    on the pairs found close, with FINE_KEEPS."""
    todo, out = into
    first, second, sizes = pairs
    best = {0: np.full(len(todo), np.inf), 1: np.full(len(todo), np.inf)}
    local = {0: np.full(len(todo), MISSING), 1: np.full(len(todo), MISSING)}
    sides = {0: (first[todo], second[todo]), 1: (second[todo], first[todo])}
    by_picture = {way: _Positions(sides[way][0]) for way in (0, 1)}
    pictures = np.unique(np.concatenate([first[todo], second[todo]]))
    bar.skip_to(bar.total - len(pictures))
    lost: list[int] = []
    for piece, thumbs in _pieces(src, pictures.tolist()):
        for r, t in zip(piece, thumbs, strict=True):
            if t is None or not kept.ok(r) or pixel_key(t) != kept.key(r):
                lost.append(r)  # gone or changed since it was first read
                continue
            ways = [(by_picture[way].of(r), sides[way][1], best[way], local[way]) for way in (0, 1)]
            _align_one(t, ways, (sizes[todo], keeps), kept)
        bar.advance(len(piece))
    second_wins = best[1] < best[0]
    found = np.where(second_wins, local[1], local[0])
    gone = np.isin(first[todo], lost) | np.isin(second[todo], lost)  # never "the same" as it was
    out[todo] = np.where(np.isfinite(np.minimum(best[0], best[1])) & ~gone, found, MISSING)


class _Positions:
    """Positions of each value in `rows`, in order, as numpy arrays: a dict of Python lists (two of
    82,000 lists, 640,000 numbers at 100,000 images) was freed in one ~50 ms GIL-holding call."""

    def __init__(self, rows: np.ndarray) -> None:
        self.order = np.argsort(rows, kind="stable")
        self.values, self.starts = np.unique(rows[self.order], return_index=True)
        self.stops = np.append(self.starts[1:], len(rows))

    def of(self, value: int) -> np.ndarray:
        """The positions holding `value` (empty when none does)."""
        k = int(np.searchsorted(self.values, value))
        if k == len(self.values) or self.values[k] != value:
            return self.order[:0]
        return self.order[self.starts[k] : self.stops[k]]


def _align_one(
    t: Thumb,
    ways: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    grid: tuple[np.ndarray, Sequence[tuple[float, int]]],
    kept: _Kept,
) -> None:
    """The crops of one picture (grid: each pair's size, and the crop grid), made once per size,
    against the wholes of its partners both ways round: for each way (its positions in the pairs
    left, their partners, and the best and local arrays to fill), each pair's best crop and the
    largest local difference at it."""
    sizes, keeps = grid
    made: dict[int, np.ndarray] = {}
    for positions, partners, best, local in ways:
        by_size: dict[int, list[int]] = {}
        for p in positions.tolist():
            if kept.ok(int(partners[p])):
                by_size.setdefault(int(sizes[p]), []).append(p)
        for size, here in by_size.items():
            if size not in made:
                made[size] = crops(t, size, keeps)
            for k in range(0, len(here), MAX_PARTNERS):
                part = np.asarray(here[k : k + MAX_PARTNERS])
                _best_crop(made[size], kept.stack(partners[part], size), part, (best, local))


def _best_crop(
    crops_of: np.ndarray, w: np.ndarray, part: np.ndarray, into: tuple[np.ndarray, np.ndarray]
) -> None:
    """For each partner whole in `w`, the crop closest by mean squared difference (one matrix
    product), stored with the largest local difference at it."""
    best, local = into
    flat_c, flat_w = crops_of.reshape(len(crops_of), -1), w.reshape(len(w), -1)
    sq = (flat_w**2).sum(1)[:, None] + (flat_c**2).sum(1)[None] - 2.0 * flat_w @ flat_c.T
    pick = sq.argmin(axis=1)
    best[part] = sq[np.arange(len(part)), pick] / flat_c.shape[1]  # mean squared difference
    local[part] = largest_local_differences(crops_of[pick] - w)
