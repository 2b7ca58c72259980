"""The picture check's per-pair bookkeeping holds no Python object per pair.

At 100,000 images the check runs over ~320,000 pairs; a list of every pair's digests and dicts of
Python lists of positions were each freed in one 50-60 ms call holding the GIL (a stall of the
app's window while duplicates were listed). Numbers in numpy arrays free in no time.
"""

from __future__ import annotations

import gc
import sys

import numpy as np
from lookalike.engine.duplicates.picture_check import Thumb
from lookalike.engine.duplicates.picture_pairs import _Kept, _Positions, _same_pixels


def test_positions_are_each_values_places_in_order_without_a_python_object_each() -> None:
    rows = np.random.default_rng(0).integers(0, 5_000, 50_000)
    gc.disable()
    try:
        before = sys.getallocatedblocks()
        positions = _Positions(rows)
        made = sys.getallocatedblocks() - before
    finally:
        gc.enable()
    assert made < 100  # a dict of lists: ~55,000 blocks
    for value in (int(rows[0]), int(rows[-1]), 17):
        assert positions.of(value).tolist() == np.flatnonzero(rows == value).tolist()
    assert positions.of(-3).tolist() == []
    assert positions.of(10_000).tolist() == []


def test_same_pixels_by_digest_number() -> None:
    pictures = {
        3: np.zeros((4, 4, 3), np.uint8),
        5: np.zeros((4, 4, 3), np.uint8),  # the same pixels as 3
        8: np.full((4, 4, 3), 9, np.uint8),
        9: None,  # could not be read
    }
    kept = _Kept(np.array(sorted(pictures)))
    for row, pixels in pictures.items():
        kept.add(row, None if pixels is None else Thumb(pixels, 40))
    first, second = np.array([3, 3, 8, 9, 9, 5]), np.array([5, 8, 8, 9, 3, 3])
    assert _same_pixels(kept, first, second).tolist() == [True, False, True, False, False, True]
    kept.drop(5)  # found changed since it was read
    assert _same_pixels(kept, first, second).tolist() == [False, False, True, False, False, False]
