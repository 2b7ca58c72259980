"""The picture check (engine.duplicates.picture_check) over many pairs, holding little per picture.

A big folder's duplicate candidates are a few pairs per picture over nearly every picture: 597,000
pairs over 98,000 pictures at 100,000 images. Holding every picture's thumbnail through the whole
check took 12 KB a picture, 1.2 GB at 100k (the app's and the CLI's peak). Instead each picture is
read again when a step needs it, and only what the next step uses is kept:

1. read once: each picture's digest, shorter side, and its whole at its own largest comparison
   size (3 KB at 32 pixels); the thumbnail is dropped;
2. a picture paired with a smaller one is also compared at that one's size: read again for it;
3. every pair whole against whole; most candidates are SETTLED apart here;
4. the pictures of the pairs left are read again a piece at a time, their crops made once per
   size and compared with their partners' wholes (both ways round), and dropped.

The distances are the same as comparing with every thumbnail held
(tests/engine/duplicates/test_picture_pairs.py); re-reading costs the decoding of the files of the
pairs that need alignment, once more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from lookalike.engine.duplicates.picture_check import (
    MAX_PARTNERS,
    MISSING,
    SETTLED,
    Thumb,
    crops,
    file_thumbnails,
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


@dataclass
class _Kept:
    """What stays of a picture between steps: digest, shorter side, wholes by size (uint8)."""

    key: tuple[tuple[int, ...], bytes]
    side: int
    wholes: dict[int, np.ndarray] = field(default_factory=dict)


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
    _align(src, kept, (first, second, sizes), todo[~settled], out, bar)
    return out


def _pair_sizes(
    kept: dict[int, _Kept | None], first: np.ndarray, second: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(whether both pictures were read, the comparison size) of each pair."""
    present = np.zeros(len(first), bool)
    sizes = np.zeros(len(first), np.int64)
    for k, (i, j) in enumerate(zip(first.tolist(), second.tolist(), strict=True)):
        a, b = kept[i], kept[j]
        if a is not None and b is not None:
            present[k], sizes[k] = True, level(a.side, b.side)
    return present, sizes


def _same_pixels(kept: dict[int, _Kept | None], first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Whether each pair's two pictures have the same pixels (a folder of a thousand copies)."""
    keys = [(_key(kept, i), _key(kept, j)) for i, j in zip(first.tolist(), second.tolist(), strict=True)]
    return np.array([ka is not None and ka == kb for ka, kb in keys], bool)


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


def _read_kept(src: ThumbSource, rows: np.ndarray, bar: _Bar) -> dict[int, _Kept | None]:
    """Step 1: digest, side and the whole at the picture's own largest size, a piece at a time."""
    kept: dict[int, _Kept | None] = {}
    for piece, thumbs in _pieces(src, rows.tolist()):
        for r, t in zip(piece, thumbs, strict=True):
            if t is None:
                kept[r] = None
            else:
                own = level(t.side, t.side)
                kept[r] = _Kept(pixel_key(t), t.side, {own: whole(t, own)})
        bar.advance(len(piece))
    return kept


def _add_smaller_wholes(
    src: ThumbSource, kept: dict[int, _Kept | None], pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    """Step 2: wholes at the sizes a picture's pairs need beyond its own (a smaller partner)."""
    need: dict[int, set[int]] = {}
    for a, b, size in zip(*pairs, strict=True):
        for r in (int(a), int(b)):
            k = kept[r]
            if k is not None and int(size) not in k.wholes:
                need.setdefault(r, set()).add(int(size))
    for piece, thumbs in _pieces(src, sorted(need)):
        for r, t in zip(piece, thumbs, strict=True):
            k = kept[r]
            if k is not None:
                if t is None or pixel_key(t) != k.key:  # gone or changed since: never the same
                    kept[r] = None
                    continue
                k.wholes.update({s: whole(t, s) for s in need[r]})


def _stack(kept: dict[int, _Kept | None], rows: np.ndarray, size: int) -> np.ndarray:
    """The wholes of `rows` at `size`, each normalised: (len(rows), size, size, 3) float32."""
    return normalised(np.stack([_whole_of(kept, int(r), size) for r in rows]))


def _whole_of(kept: dict[int, _Kept | None], row: int, size: int) -> np.ndarray:
    k = kept[row]
    assert k is not None  # pairs with a missing picture are never compared
    return k.wholes[size]


def _unaligned(
    kept: dict[int, _Kept | None], pairs: tuple[np.ndarray, np.ndarray, np.ndarray], bar: _Bar
) -> np.ndarray:
    """Step 3: each pair's distance whole against whole, MAX_PARTNERS pairs at a time."""
    a, b, sizes = pairs
    out = np.full(len(a), MISSING)
    for size in np.unique(sizes):
        where = np.flatnonzero(sizes == size)
        for k in range(0, len(where), MAX_PARTNERS):
            part = where[k : k + MAX_PARTNERS]
            present = [kept[int(a[p])] is not None and kept[int(b[p])] is not None for p in part]
            part = part[np.asarray(present, bool)]  # a picture found changed in step 2 is missing
            if len(part):
                diff = _stack(kept, a[part], int(size)) - _stack(kept, b[part], int(size))
                out[part] = largest_local_differences(diff)
            bar.advance(min(MAX_PARTNERS, len(where) - k))
    return out


def _align(
    src: ThumbSource,
    kept: dict[int, _Kept | None],
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    todo: np.ndarray,
    out: np.ndarray,
    bar: _Bar,
) -> None:
    """Step 4: out[todo] at each pair's best alignment, crops of either picture against the other
    whole, the best by mean squared difference (the first picture's crops win a tie), then its
    largest local difference. Pictures are read a piece at a time; each one's crops at a size are
    made once for both ways round."""
    first, second, sizes = pairs
    best = {0: np.full(len(todo), np.inf), 1: np.full(len(todo), np.inf)}
    local = {0: np.full(len(todo), MISSING), 1: np.full(len(todo), MISSING)}
    sides = {0: (first[todo], second[todo]), 1: (second[todo], first[todo])}
    by_picture = {way: _positions(sides[way][0]) for way in (0, 1)}
    pictures = np.unique(np.concatenate([first[todo], second[todo]]))
    bar.skip_to(bar.total - len(pictures))
    lost: list[int] = []
    for piece, thumbs in _pieces(src, pictures.tolist()):
        for r, t in zip(piece, thumbs, strict=True):
            if t is None or kept[r] is None or pixel_key(t) != _key(kept, r):
                lost.append(r)  # gone or changed since it was first read
                continue
            ways = [(by_picture[way].get(r, []), sides[way][1], best[way], local[way]) for way in (0, 1)]
            _align_one(t, ways, sizes[todo], kept)
        bar.advance(len(piece))
    second_wins = best[1] < best[0]
    found = np.where(second_wins, local[1], local[0])
    gone = np.isin(first[todo], lost) | np.isin(second[todo], lost)  # never "the same" as it was
    out[todo] = np.where(np.isfinite(np.minimum(best[0], best[1])) & ~gone, found, MISSING)


def _key(kept: dict[int, _Kept | None], row: int) -> tuple[tuple[int, ...], bytes] | None:
    k = kept[row]
    return None if k is None else k.key


def _positions(rows: np.ndarray) -> dict[int, list[int]]:
    """Positions of each value in `rows`, in order."""
    out: dict[int, list[int]] = {}
    for p, r in enumerate(rows.tolist()):
        out.setdefault(r, []).append(p)
    return out


def _align_one(
    t: Thumb,
    ways: list[tuple[list[int], np.ndarray, np.ndarray, np.ndarray]],
    sizes: np.ndarray,
    kept: dict[int, _Kept | None],
) -> None:
    """The crops of one picture, made once per size, against the wholes of its partners both ways
    round: for each way (its positions in the pairs left, their partners, and the best and local
    arrays to fill), each pair's best crop and the largest local difference at it."""
    made: dict[int, np.ndarray] = {}
    for positions, partners, best, local in ways:
        by_size: dict[int, list[int]] = {}
        for p in positions:
            if kept[int(partners[p])] is not None:
                by_size.setdefault(int(sizes[p]), []).append(p)
        for size, here in by_size.items():
            if size not in made:
                made[size] = crops(t, size)
            for k in range(0, len(here), MAX_PARTNERS):
                part = np.asarray(here[k : k + MAX_PARTNERS])
                _best_crop(made[size], _stack(kept, partners[part], size), part, (best, local))


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
