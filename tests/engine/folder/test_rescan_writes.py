"""A re-scan rewrites the embedding cache only when the folder changed (fast unchanged re-scans)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.folder.cache import default_cache_dir
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.model.embedder import Embedder

from tests.real_data import copy_card_classes

CLASSES = ("2_of_hearts", "king_of_clubs")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return copy_card_classes(tmp_path / "photos", CLASSES)


def _cache_file() -> Path:
    (path,) = default_cache_dir().glob("*.npz")
    return path


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def test_unchanged_rescan_leaves_the_cache_file_alone(folder: Path, cpu_embedder: Embedder) -> None:
    first = embed_folder(folder, cpu_embedder)
    before = _stamp(_cache_file())
    again = embed_folder(folder, cpu_embedder)
    assert again.n_cached == len(first)
    assert again.n_embedded == 0
    assert _stamp(_cache_file()) == before
    np.testing.assert_array_equal(again.vectors, first.vectors)


def test_touched_file_rewrites_the_cache(folder: Path, cpu_embedder: Embedder) -> None:
    embed_folder(folder, cpu_embedder)
    before = _stamp(_cache_file())
    victim = sorted((folder / CLASSES[0]).iterdir())[0]
    st = victim.stat()
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    again = embed_folder(folder, cpu_embedder)
    assert again.n_embedded == 1
    assert _stamp(_cache_file()) != before
    assert embed_folder(folder, cpu_embedder).n_embedded == 0


def test_removed_file_rewrites_the_cache_without_it(folder: Path, cpu_embedder: Embedder) -> None:
    embed_folder(folder, cpu_embedder)
    victim = sorted((folder / CLASSES[1]).iterdir())[0]
    victim.unlink()
    embed_folder(folder, cpu_embedder)
    with np.load(_cache_file()) as data:
        kept = {str(p) for p in data["paths"]}
    assert victim.relative_to(folder).as_posix() not in kept
    assert len(kept) == sum(1 for _ in folder.rglob("*.jpg"))


def test_cache_deleted_between_scans_is_written_again(folder: Path, cpu_embedder: Embedder) -> None:
    embed_folder(folder, cpu_embedder)
    _cache_file().unlink()
    assert embed_folder(folder, cpu_embedder).n_embedded > 0
    assert _cache_file().exists()
