"""Duplicate candidates are bounded per image, and equal to all close pairs when the bound covers them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.duplicates.groups import close_pairs
from lookalike.engine.duplicates.listing import CANDIDATES, candidate_pairs
from lookalike.engine.folder.embedding import FolderEmbeddings


def _emb(vectors: np.ndarray) -> FolderEmbeddings:
    n = len(vectors)
    return FolderEmbeddings(Path("/nowhere"), [f"{i}.png" for i in range(n)], [None] * n, vectors)


def _unit(rng: np.random.Generator, n: int, dim: int = 16) -> np.ndarray:
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_candidates_equal_all_close_pairs_when_the_folder_is_small() -> None:
    v = _unit(np.random.default_rng(0), CANDIDATES + 1)  # every other image is among the nearest
    got, want = candidate_pairs(_emb(v), 1.2), close_pairs(v, 1.2)
    assert len(want.i) > 0
    assert sorted(zip(got.i.tolist(), got.j.tolist(), strict=True)) == sorted(
        zip(want.i.tolist(), want.j.tolist(), strict=True)
    )
    np.testing.assert_allclose(np.sort(got.distance), np.sort(want.distance), atol=1e-5)


def test_a_loose_threshold_gives_at_most_candidates_per_image_not_all_pairs() -> None:
    n = 300
    v = _unit(np.random.default_rng(1), n)
    got = candidate_pairs(_emb(v), 2.0)  # every pair is "close": all pairs would be 44,850
    assert len(got.i) <= n * CANDIDATES < n * (n - 1) // 2
    assert np.all(got.i < got.j)
    assert len(set(zip(got.i.tolist(), got.j.tolist(), strict=True))) == len(got.i)  # no pair twice
    exact = np.linalg.norm(v[got.i] - v[got.j], axis=1)
    np.testing.assert_allclose(got.distance, exact, atol=1e-5)


def test_a_big_folder_never_scans_all_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ALL_PAIRS_MAX_IMAGES the all-pairs scan (quadratic in the folder) is skipped: each
    image's nearest CANDIDATES are the candidates; below it every close pair still is."""
    import lookalike.engine.duplicates.listing as listing

    v = _unit(np.random.default_rng(3), 60)
    emb = _emb(v)
    small = listing._candidates(emb, 1.2)
    assert small.i.tolist() == close_pairs(v, 1.2).i.tolist()

    def refuse(*_args: object) -> None:
        raise AssertionError("all pairs scanned in a big folder")

    monkeypatch.setattr(listing, "ALL_PAIRS_MAX_IMAGES", 50)
    monkeypatch.setattr(listing, "close_pairs", refuse)
    big = listing._candidates(emb, 1.2)
    want = candidate_pairs(emb, 1.2)
    assert big.i.tolist() == want.i.tolist()
    assert big.j.tolist() == want.j.tolist()
