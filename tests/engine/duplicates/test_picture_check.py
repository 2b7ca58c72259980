"""The picture check on the suite's real images: near-copies stay close, a small local change in a
different picture does not hide in the average, and a crop is undone by the alignment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.duplicates.near_copies import near_copy
from lookalike.engine.duplicates.picture_check import CAP, LEVELS, MISSING, file_thumbnails, level, thumbnail
from lookalike.engine.duplicates.picture_pairs import pair_picture_distances, picture_distance
from lookalike.engine.images.loading import load_image
from PIL import Image, ImageDraw

from tests.real_data import CARDS, DATA


def _cards(n: int) -> list[Image.Image]:
    return [load_image(p) for p in sorted(CARDS.glob("*/*.jpg"))[:n]]


def test_each_near_copy_is_closer_to_its_original_than_any_other_picture() -> None:
    paths = sorted(DATA.glob("*/*/*.*"))[::4][:40]
    originals = [load_image(p) for p in paths]
    rng = np.random.default_rng(0)
    thumbs = [thumbnail(i) for i in originals] + [thumbnail(near_copy(i, rng)) for i in originals]
    n = len(originals)
    a, b = np.meshgrid(np.arange(n), n + np.arange(n), indexing="ij")
    d = pair_picture_distances(thumbs, a.ravel(), b.ravel()).reshape(n, n)  # original × copy
    assert (d.argmin(axis=0) == np.arange(n)).all()
    assert np.median(np.diag(d)) < 0.5 * np.median(d[~np.eye(n, dtype=bool)])


def test_a_small_local_change_counts_more_than_copy_noise() -> None:
    """Two cards that differ only in a corner (the '8' and the '3' of one deck) are not one picture."""
    rng = np.random.default_rng(1)
    for img in _cards(6):
        changed = img.copy()
        w, h = img.size
        ImageDraw.Draw(changed).rectangle((w * 0.1, h * 0.1, w * 0.25, h * 0.22), fill=(20, 20, 20))
        copy = near_copy(img, rng)
        assert picture_distance(thumbnail(img), thumbnail(changed)) > picture_distance(
            thumbnail(img), thumbnail(copy)
        )


def test_the_alignment_undoes_a_crop() -> None:
    img = _cards(1)[0]
    w, h = img.size
    cropped = img.crop((round(w * 0.025), round(h * 0.025), w, h))  # 5 % of the area, top-left
    shifted = Image.new("RGB", img.size, "white")
    shifted.paste(img.crop((round(w * 0.1), 0, w, h)), (0, 0))  # a different framing: not a crop
    assert picture_distance(thumbnail(img), thumbnail(cropped)) < 0.5 * picture_distance(
        thumbnail(img), thumbnail(shifted)
    )


def test_one_picture_is_at_distance_zero_and_distances_stop_at_the_cap() -> None:
    img, other = _cards(2)
    assert picture_distance(thumbnail(img), thumbnail(img)) == pytest.approx(0.0, abs=1e-6)
    noise = Image.fromarray(np.random.default_rng(2).integers(0, 256, (64, 64, 3), np.uint8))
    assert 0.0 < picture_distance(thumbnail(other), thumbnail(noise)) <= CAP


def test_an_unreadable_file_matches_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    _cards(1)[0].save(good)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    thumbs = file_thumbnails([good, bad, good])
    assert thumbs[1] is None
    d = pair_picture_distances(thumbs, np.array([0, 0]), np.array([1, 2]))
    assert d[0] == MISSING
    assert d[1] == pytest.approx(0.0, abs=1e-6)


def test_the_comparison_size_follows_the_smaller_picture() -> None:
    assert level(28, 1000) < level(1000, 1000) == LEVELS[-1]
    assert level(14, 28) == LEVELS[0]
    assert level(3, 3) == LEVELS[0]  # tiny pictures are still compared


def test_the_comparison_size_stops_where_the_wholes_would_outgrow_their_budget() -> None:
    """A big folder's check holds a whole per picture: past the budget the size steps down, so the
    memory is bounded whatever the folder (100,000 pictures: 32 px, 307 MB)."""
    import lookalike.engine.duplicates.picture_check as check

    assert check.largest_level(10_000) == LEVELS[-1] == 40
    assert check.largest_level(100_000) == 32
    assert check.WHOLES_BUDGET >= 100_000 * 32 * 32 * 3
    assert check.largest_level(10**9) == LEVELS[0]
    assert level(1000, 1000, top=32) == 32
    assert level(30, 1000, top=32) == level(30, 1000) == 16


def test_a_big_check_compares_at_the_capped_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """pair_picture_distances sizes its wholes by the number of pictures it holds: with a budget
    that fits only 16-px wholes, a pair of big pictures is compared at 16 px (the same distance as
    a pair of pictures whose own detail stops there)."""
    import lookalike.engine.duplicates.picture_check as check

    img = _cards(1)[0]
    copy = near_copy(img, np.random.default_rng(6))
    pair = [thumbnail(img), thumbnail(copy)]
    free = picture_distance(*pair)
    monkeypatch.setattr(check, "WHOLES_BUDGET", 2 * 16 * 16 * 3)
    capped = picture_distance(*pair)
    small = [check.Thumb(t.pixels, 24) for t in pair]  # own detail gives level 16
    assert capped == pytest.approx(picture_distance(*small))
    assert capped != pytest.approx(free)


def test_close_pairs_are_aligned_again_on_the_fine_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    """A crop between the coarse grid's boxes leaves a misaligned edge that reads as a difference;
    pairs found close are aligned again on FINE_KEEPS, which brings such a copy closer. Pairs far
    apart are left as they are (the fine grid costs four times the crops)."""
    import lookalike.engine.duplicates.picture_check as check
    import lookalike.engine.duplicates.picture_pairs as pairs

    img = _cards(1)[0].resize((172, 256))
    w, h = img.size
    off = 0.00625  # half a coarse step: a fine box, not a coarse one
    cropped = img.crop((round(w * off), round(h * off), round(w * (off + 0.9875)), round(h * (off + 0.9875))))
    pair = [thumbnail(img), thumbnail(cropped.resize((140, 208)))]
    fine = picture_distance(*pair)
    monkeypatch.setattr(pairs, "REFINE_BELOW", 0.0)  # no second pass
    coarse = picture_distance(*pair)
    assert fine < 0.9 * coarse
    assert coarse < check.REFINE_BELOW
    monkeypatch.setattr(pairs, "REFINE_BELOW", check.REFINE_BELOW)
    grids: list[int] = []
    real = check.crops

    def counted(t: check.Thumb, size: int, keeps: tuple[tuple[float, int], ...] = check.KEEPS) -> np.ndarray:
        grids.append(len(keeps))
        return real(t, size, keeps)

    monkeypatch.setattr(pairs, "crops", counted)
    other = _cards(5)[4]  # another deck's card: aligned (not SETTLED apart), but not close
    assert check.REFINE_BELOW <= picture_distance(thumbnail(img), thumbnail(other)) < check.SETTLED
    assert grids
    assert set(grids) == {len(check.KEEPS)}
    grids.clear()
    picture_distance(*pair)
    assert len(check.FINE_KEEPS) in grids


def test_pairs_settled_apart_before_alignment_skip_the_crop_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """The crop search is the costly part: a pair already SETTLED apart unaligned keeps that distance
    without it, and a near-copy still gets it (its unaligned distance is far below SETTLED)."""
    import lookalike.engine.duplicates.picture_check as check
    import lookalike.engine.duplicates.picture_pairs as pairs

    card = _cards(1)[0]
    noise = Image.fromarray(np.random.default_rng(3).integers(0, 256, (64, 64, 3), np.uint8))
    searched: list[int] = []
    real = check.crops

    def counted(t: check.Thumb, size: int, keeps: tuple[tuple[float, int], ...] = check.KEEPS) -> np.ndarray:
        searched.append(size)
        return real(t, size, keeps)

    monkeypatch.setattr(pairs, "crops", counted)
    far = picture_distance(thumbnail(card), thumbnail(noise))
    assert far >= check.SETTLED
    assert searched == []
    near = picture_distance(thumbnail(card), thumbnail(near_copy(card, np.random.default_rng(4))))
    assert searched != []
    assert near < 0.5 * check.SETTLED


def test_kept_per_picture_state_is_small() -> None:
    """A big folder's candidates keep resized wholes, not thumbnails: the wholes stay bytes (a
    quarter of normalised floats) and identical pictures are told by a digest, not a copy of their
    pixels; the answers are those of normalising each picture on its own."""
    import lookalike.engine.duplicates.picture_check as check

    thumbs = [check.thumbnail(img) for img in _cards(4)]
    kept = check.whole(thumbs[0], 16)
    assert kept.dtype == np.uint8
    assert kept.shape == (16, 16, 3)
    stacked = check.normalised(np.stack([kept, check.whole(thumbs[1], 16)]))
    one = check.normalised(kept[None].copy())[0]
    np.testing.assert_array_equal(stacked[0], one)
    key = check.pixel_key(thumbs[0])
    assert len(key[1]) == 16
    assert key == check.pixel_key(check.Thumb(thumbs[0].pixels.copy(), thumbs[0].side))
    assert key != check.pixel_key(thumbs[1])
