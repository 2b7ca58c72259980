"""embed_folder on a real copy of card classes: incremental cache, exact reuse, never writes in the folder."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lookalike.engine.folder.embedding as folder_embedding
import numpy as np
import pytest
from lookalike.engine.folder.cache import default_cache_dir
from lookalike.engine.folder.embedding import FolderEmbeddings, embed_folder
from lookalike.engine.images.loading import load_image
from lookalike.engine.model.embedder import Embedder

from tests.model_factory import projection_model
from tests.real_data import copy_card_classes

CLASSES = ("1_of_clubs", "7_of_diamonds", "queen_of_spades")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three card classes copied (real JPEGs) so the test may change them."""
    return copy_card_classes(tmp_path / "photos", CLASSES)


class Recorder:
    """Counts the rows the model really embeds and the files really decoded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, cpu_embedder: Embedder) -> None:
        self.rows = 0
        self.calls = 0
        self.loaded: list[str] = []
        self._lock = threading.Lock()
        real_rows = cpu_embedder.embed_rows
        real_load = folder_embedding.load_prepared

        def embed_rows(batch: np.ndarray) -> tuple[np.ndarray, list[str]]:
            self.rows += len(batch)
            self.calls += 1
            return real_rows(batch)

        def load(path: str | os.PathLike[str], prepare: Any, min_side: int | None = None) -> object:
            with self._lock:
                self.loaded.append(Path(path).as_posix())
            return real_load(path, prepare, min_side=min_side)

        monkeypatch.setattr(cpu_embedder, "embed_rows", embed_rows)
        monkeypatch.setattr(folder_embedding, "load_prepared", load)

    def reset(self) -> None:
        self.rows, self.calls, self.loaded = 0, 0, []

    def loaded_rel(self, root: Path) -> set[str]:
        return {Path(p).relative_to(root).as_posix() for p in self.loaded}


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under root (hidden ones too) with size and mtime."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            st = os.stat(os.path.join(dirpath, name))
            out[os.path.relpath(os.path.join(dirpath, name), root)] = (st.st_size, st.st_mtime_ns)
    return out


def _by_path(result: FolderEmbeddings) -> dict[str, np.ndarray]:
    return dict(zip(result.paths, result.vectors, strict=True))


def test_first_run_embeds_everything_with_labels(folder: Path, cpu_embedder: Embedder) -> None:
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg"))
    result = embed_folder(folder, cpu_embedder)
    assert result.paths == files
    assert result.labels == [p.split("/")[0] for p in files]
    assert result.has_labels
    assert result.vectors.shape == (len(files), cpu_embedder.dim)
    assert result.vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-5)
    assert (result.n_embedded, result.n_cached) == (len(files), 0)
    assert result.provider == cpu_embedder.provider
    assert not result.cancelled
    assert result.skipped == []
    one = files[5]
    np.testing.assert_allclose(result.vectors[5], cpu_embedder.embed_file(folder / one), atol=1e-5)
    assert result.abs_path(5) == folder / one


def test_only_touched_added_files_are_embedded_again(
    folder: Path, cpu_embedder: Embedder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, image_data: Path
) -> None:
    rec = Recorder(monkeypatch, cpu_embedder)
    first = embed_folder(folder, cpu_embedder)
    n = len(first)
    assert rec.rows == n
    assert rec.loaded_rel(folder) == set(first.paths)

    rec.reset()
    again = embed_folder(folder, cpu_embedder)
    assert (again.n_embedded, again.n_cached, rec.rows, rec.loaded) == (0, n, 0, [])
    np.testing.assert_array_equal(again.vectors, first.vectors)

    touched, removed = first.paths[3], first.paths[-2]
    st = os.stat(folder / touched)
    os.utime(folder / touched, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    (folder / removed).unlink()
    new_src = sorted((image_data / "cards" / "2_of_hearts").iterdir())[0]
    added = f"{CLASSES[1]}/zz_added.jpg"
    shutil.copy(new_src, folder / added)

    rec.reset()
    third = embed_folder(folder, cpu_embedder)
    assert rec.loaded_rel(folder) == {touched, added}
    assert rec.rows == 2
    assert (third.n_embedded, third.n_cached, len(third)) == (2, n - 2, n)
    assert removed not in third.paths
    assert added in third.paths
    old, now = _by_path(first), _by_path(third)
    for path in set(now) - {added}:
        np.testing.assert_array_equal(now[path], old[path])


def test_cached_vectors_equal_fresh_ones(folder: Path, cpu_embedder: Embedder, tmp_path: Path) -> None:
    embed_folder(folder, cpu_embedder, batch_size=16)
    cached = embed_folder(folder, cpu_embedder, batch_size=16)
    assert cached.n_cached == len(cached)
    fresh = embed_folder(folder, cpu_embedder, cache_dir=tmp_path / "other-cache", batch_size=64)
    assert fresh.n_embedded == len(fresh)
    assert cached.paths == fresh.paths
    np.testing.assert_allclose(cached.vectors, fresh.vectors, atol=1e-6)


def test_cache_lives_in_the_cache_dir_never_in_the_folder(folder: Path, cpu_embedder: Embedder) -> None:
    before = _snapshot(folder)
    embed_folder(folder, cpu_embedder)
    embed_folder(folder, cpu_embedder)
    assert _snapshot(folder) == before
    written = [p.name for p in default_cache_dir().iterdir()]
    assert len(written) == 1
    assert written[0].endswith(".npz")
    with np.load(default_cache_dir() / written[0]) as data:
        assert sorted(str(p) for p in data["paths"]) == sorted(before)


def test_removed_files_are_dropped_from_the_cache(folder: Path, cpu_embedder: Embedder) -> None:
    first = embed_folder(folder, cpu_embedder)
    shutil.rmtree(folder / CLASSES[2])
    second = embed_folder(folder, cpu_embedder)
    assert second.n_embedded == 0
    assert all(not p.startswith(CLASSES[2]) for p in second.paths)
    assert len(second) == len(first) - sum(p.startswith(CLASSES[2]) for p in first.paths)
    (cache_file,) = default_cache_dir().iterdir()
    with np.load(cache_file) as data:
        assert sorted(str(p) for p in data["paths"]) == second.paths


def test_unreadable_file_is_skipped_with_a_reason(folder: Path, cpu_embedder: Embedder) -> None:
    (folder / CLASSES[0] / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 garbage")
    (folder / CLASSES[0] / "notes.txt").write_text("not even an image name")
    result = embed_folder(folder, cpu_embedder)
    assert [s.path for s in result.skipped] == [f"{CLASSES[0]}/broken.jpg"]
    assert result.skipped[0].reason
    assert f"{CLASSES[0]}/broken.jpg" not in result.paths
    assert all(p.endswith(".jpg") for p in result.paths)


def test_progress_reaches_the_total(folder: Path, cpu_embedder: Embedder) -> None:
    seen: list[tuple[int, int]] = []
    result = embed_folder(folder, cpu_embedder, progress=lambda d, t: seen.append((d, t)), batch_size=16)
    done = [d for d, _ in seen]
    assert seen[-1] == (len(result), len(result))
    assert done == sorted(done)
    assert len(seen) >= len(result) // 16


def test_cancel_keeps_the_finished_part_for_next_time(folder: Path, cpu_embedder: Embedder) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done > 0:
            cancel.set()

    partial = embed_folder(folder, cpu_embedder, progress=progress, cancel=cancel, batch_size=16)
    total = len(list(folder.rglob("*.jpg")))
    assert partial.cancelled
    assert 0 < len(partial) < total
    rest = embed_folder(folder, cpu_embedder, batch_size=16)
    assert not rest.cancelled
    assert (rest.n_cached, rest.n_embedded) == (len(partial), total - len(partial))


def test_cancel_before_the_first_batch_says_cancelled(folder: Path, cpu_embedder: Embedder) -> None:
    cancel = threading.Event()
    cancel.set()
    result = embed_folder(folder, cpu_embedder, cancel=cancel, batch_size=16)
    assert result.cancelled
    assert len(result) == 0
    finished = embed_folder(folder, cpu_embedder, cancel=threading.Event(), batch_size=16)
    assert not finished.cancelled
    assert len(finished) == len(list(folder.rglob("*.jpg")))


def test_another_model_never_reuses_the_vectors(folder: Path, cpu_embedder: Embedder, tmp_path: Path) -> None:
    embed_folder(folder, cpu_embedder)
    other = Embedder(projection_model(tmp_path / "other.onnx", input_size=24, dim=48, seed=7), device="cpu")
    result = embed_folder(folder, other)
    assert result.n_cached == 0
    assert result.n_embedded == len(result)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"PK\x03\x04 not a real zip"),
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    ],
    ids=["garbage", "truncated"],
)
def test_damaged_cache_is_rebuilt_with_a_notice(
    folder: Path, cpu_embedder: Embedder, damage: Callable[[Path], object]
) -> None:
    first = embed_folder(folder, cpu_embedder)
    (cache_file,) = default_cache_dir().iterdir()
    damage(cache_file)
    rebuilt = embed_folder(folder, cpu_embedder)
    assert rebuilt.n_embedded == len(first)
    assert rebuilt.notices
    assert "cache" in rebuilt.notices[0]
    np.testing.assert_allclose(rebuilt.vectors, first.vectors, atol=1e-6)
    assert embed_folder(folder, cpu_embedder).n_cached == len(first)


def test_loose_images_have_no_label(tmp_path: Path, image_data: Path, cpu_embedder: Embedder) -> None:
    src = sorted((image_data / "cards" / CLASSES[0]).iterdir())[:3]
    for p in src:
        shutil.copy(p, tmp_path / p.name)
    result = embed_folder(tmp_path, cpu_embedder)
    assert result.labels == [None, None, None]
    assert not result.has_labels
    assert load_image(result.abs_path(0)).mode == "RGB"


def test_an_unchanged_rescan_removes_a_killed_writers_temp_file(folder: Path, cpu_embedder: Embedder) -> None:
    import subprocess
    import sys

    embed_folder(folder, cpu_embedder)
    cache_file = next(default_cache_dir().glob("*.npz"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    orphan = cache_file.parent / f".tmp-{cache_file.stem}-{int(dead.stdout)}-x.npz"
    orphan.write_bytes(b"half a cache")
    again = embed_folder(folder, cpu_embedder)
    assert again.n_embedded == 0
    assert not orphan.exists()


def test_an_unchanged_folder_uses_the_caches_array_without_a_second_copy(
    folder: Path, tmp_path: Path, cpu_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening an unchanged folder again keeps one copy of its vectors (the cache's), in order; a
    changed folder still gets its vectors row by row, also in order."""
    cache = tmp_path / "cache"
    first = embed_folder(folder, cpu_embedder, cache_dir=cache)
    loaded = []
    real_load = folder_embedding.load_cache

    def remember(*args: Any) -> Any:
        loaded.append(real_load(*args))
        return loaded[-1]

    monkeypatch.setattr(folder_embedding, "load_cache", remember)
    again = embed_folder(folder, cpu_embedder, cache_dir=cache)
    assert again.vectors is loaded[-1].vectors
    assert again.paths == first.paths
    np.testing.assert_array_equal(again.vectors, first.vectors)

    source = sorted((folder / CLASSES[1]).iterdir())[0]
    extra = folder / CLASSES[0] / "zz_extra.jpg"
    shutil.copy(source, extra)
    changed = embed_folder(folder, cpu_embedder, cache_dir=cache)
    assert not np.shares_memory(changed.vectors, loaded[-1].vectors)
    for path, row in zip(first.paths, first.vectors, strict=True):
        np.testing.assert_array_equal(changed.vectors[changed.paths.index(path)], row)
    copy_row = changed.paths.index(extra.relative_to(folder).as_posix())
    source_row = first.paths.index(source.relative_to(folder).as_posix())
    np.testing.assert_allclose(changed.vectors[copy_row], first.vectors[source_row], atol=1e-6)


def test_whether_a_folder_has_labels_is_counted_once() -> None:
    """Views ask for every row they show; with 100,000 labels each count took 18 ms."""

    class CountedLabels(list[str | None]):
        passes = 0

        def __iter__(self) -> Any:
            CountedLabels.passes += 1
            return super().__iter__()

    labels = CountedLabels(["a", "b", None])
    vectors = np.zeros((3, 4), np.float32)
    emb = FolderEmbeddings(Path("/nowhere"), ["1.png", "2.png", "3.png"], labels, vectors)
    assert emb.has_labels
    assert emb.has_labels
    assert CountedLabels.passes == 1
    one_class = FolderEmbeddings(Path("/nowhere"), ["1.png"], ["a"], np.zeros((1, 4), np.float32))
    assert not one_class.has_labels
