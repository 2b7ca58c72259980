"""The picture check over many pairs reads pictures again rather than holding every thumbnail (12
KB a picture, 1.2 GB at 100,000 images): the same distances as with every thumbnail held, no
thumbnail kept beyond the pieces being worked on, and a file changed between reads never the same."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.duplicates import picture_pairs
from lookalike.engine.duplicates.near_copies import near_copy
from lookalike.engine.duplicates.picture_check import MISSING, SETTLED, Thumb, thumbnail
from lookalike.engine.duplicates.picture_pairs import FileThumbs, HeldThumbs, pair_picture_distances
from lookalike.engine.images.loading import load_image

from tests.real_data import DATA


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """24 carried pictures of every kind and a near-copy of each, as files."""
    out = tmp_path_factory.mktemp("pairs")
    rng = np.random.default_rng(0)
    paths = []
    for k, src in enumerate(sorted(DATA.glob("*/*/*.*"))[::7][:24]):
        img = load_image(src)
        paths.append(out / f"orig_{k:02d}.png")
        img.save(paths[-1])
        paths.append(out / f"copy_{k:02d}.jpg")
        near_copy(img, rng).save(paths[-1], quality=85)
    return paths


def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every picture against its neighbours in the list: copies and different pictures alike."""
    i, j = np.triu_indices(n, 1)
    keep = (j - i) <= 5
    return i[keep], j[keep]


def test_reading_again_gives_the_distances_of_every_thumbnail_held(
    files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _pairs(len(files))
    held = pair_picture_distances(HeldThumbs([thumbnail(load_image(p)) for p in files]), first, second)
    monkeypatch.setattr(picture_pairs, "PIECE", 5)  # many pieces, pictures split across them
    again = pair_picture_distances(FileThumbs(files), first, second)
    np.testing.assert_array_equal(again, held)
    copies = (first % 2 == 0) & (second == first + 1)
    assert (held[copies] < SETTLED).all()  # the copies went through the alignment step
    assert (held[~copies] > 0).all()


class _Watched:
    """Files, with every thumbnail handed out watched: how many are still alive at each read."""

    def __init__(self, paths: list[Path]) -> None:
        self.files = FileThumbs(paths)
        self.handed: list[weakref.ref[Thumb]] = []
        self.alive_at_read: list[int] = []

    def read(self, rows: Sequence[int]) -> list[Thumb | None]:
        gc.collect()
        self.alive_at_read.append(sum(ref() is not None for ref in self.handed))
        thumbs = self.files.read(rows)
        self.handed += [weakref.ref(t) for t in thumbs if t is not None]
        return thumbs


def test_no_thumbnail_outlives_the_pieces_being_worked_on(
    files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(picture_pairs, "PIECE", 4)
    source = _Watched(files)
    pair_picture_distances(source, *_pairs(len(files)))
    assert len(source.alive_at_read) > 5
    assert max(source.alive_at_read) <= 2 * 4  # this piece and the one read ahead, never the folder


class _ChangedOnSecondRead:
    """Row 0's file replaced by another picture after it was first read."""

    def __init__(self, thumbs: list[Thumb]) -> None:
        self.thumbs, self.reads = thumbs, 0

    def read(self, rows: Sequence[int]) -> list[Thumb | None]:
        out: list[Thumb | None] = [self.thumbs[r] for r in rows]
        if 0 in rows:
            self.reads += 1
            if self.reads > 1:
                out[rows.index(0)] = self.thumbs[2]
        return out


def test_a_picture_changed_between_reads_is_never_the_same(files: list[Path]) -> None:
    thumbs = [thumbnail(load_image(p)) for p in files[:3]]
    pair = (np.array([0]), np.array([1]))  # an original and its near-copy: aligned, so read again
    assert pair_picture_distances(thumbs, *pair)[0] < SETTLED
    changed = _ChangedOnSecondRead(thumbs)
    assert pair_picture_distances(changed, *pair)[0] == MISSING
    assert changed.reads == 2
