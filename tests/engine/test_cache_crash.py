"""The embedding cache survives kill -9 at any moment, and a corrupt or foreign cache is rebuilt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lookalike.engine.embedder import Embedder
from lookalike.engine.embedding_cache import CACHE_VERSION, cache_path, load_cache, save_cache
from lookalike.engine.folder_embedding import embed_folder

REPO = Path(__file__).resolve().parents[2]
KILLS = 24  # scans killed with SIGKILL; every 4th scan is left to finish, then the cache is dropped
N_IMAGES = 300

CHILD = """
import sys
import lookalike.engine.folder_embedding as fe
from lookalike.engine.embedder import Embedder

fe.CHECKPOINT_SECONDS = 0.0  # checkpoint after every batch, so kills land between and inside writes
embedder = Embedder(sys.argv[2], device="cpu")
print("ready", flush=True)
result = fe.embed_folder(sys.argv[1], embedder, progress=lambda d, t: print(d, flush=True), batch_size=8)
print("done", len(result), flush=True)
"""


@pytest.fixture(scope="module")
def folder(image_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few hundred small real images (Fashion-MNIST), ten classes."""
    root = tmp_path_factory.mktemp("fashion")
    for cls in sorted((image_data / "fashion-mnist").iterdir())[:10]:
        (root / cls.name).mkdir()
        for img in sorted(cls.iterdir())[: N_IMAGES // 10]:
            shutil.copy2(img, root / cls.name / img.name)
    return root


@pytest.fixture(scope="module")
def embedder(projection_model_path: Path) -> Embedder:
    return Embedder(projection_model_path, device="cpu")


@pytest.fixture(scope="module")
def fresh(
    folder: Path, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, np.ndarray]:
    """Reference vectors, each computed alone from its file, with no cache involved."""
    return {p.relative_to(folder).as_posix(): embedder.embed_file(p) for p in sorted(folder.rglob("*.png"))}


def _scan_and_kill(folder: Path, model: Path, cache: Path, rng: np.random.Generator, finish: bool) -> str:
    """Run a scan in a child process and SIGKILL it at a random point; return how far it got."""
    env = {**os.environ, "LOOKALIKE_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-c", CHILD, str(folder), str(model)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO) as proc:
        assert proc.stdout is not None
        # Kill after a random number of progress lines (-1: while starting and loading the cache),
        # then a random few milliseconds more, to land inside decoding, inference or a cache write.
        target = -1 if finish else int(rng.integers(-1, N_IMAGES // 8 + 2))
        last = ""
        for line in proc.stdout:
            last = line.strip()
            if last.startswith("done") or (not finish and _reached(last, target)):
                break
        if not finish:
            time.sleep(float(rng.uniform(0.0, 0.03)))
            proc.kill()
        code = proc.wait(timeout=60)
    assert finish is False or code == 0, f"the scan after the kills failed with {code}"
    return last


def _reached(line: str, target: int) -> bool:
    if target < 0:
        return line == "ready"
    return line.isdigit() and int(line) >= target * 8


def _check_cache(
    folder: Path, embedder: Embedder, cache: Path, fresh: dict[str, np.ndarray], complete: bool
) -> int:
    """The cache on disk is readable, and every vector in it equals the fresh one for its file."""
    path = cache_path(cache, folder, embedder.sha256)
    if not path.exists():
        assert not complete
        return 0
    cached = load_cache(path, embedder.dim, embedder.sha256)
    assert cached.notice is None, cached.notice
    for (rel, size, _stamp), row in cached.keys.items():
        assert rel in fresh
        assert (folder / rel).stat().st_size == size
        np.testing.assert_allclose(cached.vectors[row], fresh[rel], atol=1e-5, err_msg=rel)
    if complete:
        assert {k[0] for k in cached.keys} == set(fresh)
    return len(cached.keys)


@pytest.mark.timeout(120)
def test_kill_9_at_random_points_never_corrupts_the_cache(
    folder: Path, embedder: Embedder, fresh: dict[str, np.ndarray], tmp_path: Path
) -> None:
    rng = np.random.default_rng(20261123)
    cache = tmp_path / "cache"
    grew = 0
    orphans: set[str] = set()
    for kill in range(KILLS):
        before = _check_cache(folder, embedder, cache, fresh, complete=False)
        _scan_and_kill(folder, embedder.path, cache, rng, finish=False)
        grew += _check_cache(folder, embedder, cache, fresh, complete=False) > before
        orphans |= set(_temp_files(cache))
        if kill % 4 == 3:  # the next scan finishes from whatever the kills left
            _scan_and_kill(folder, embedder.path, cache, rng, finish=True)
            _check_cache(folder, embedder, cache, fresh, complete=True)
            assert _temp_files(cache) == []  # what killed writers left is removed by the next save
            shutil.rmtree(cache)
    print(f"{KILLS} kills: {grew} after progress was saved, {len(orphans)} inside a cache write")
    assert grew > 0  # kills landed after progress was saved, not only during start-up


def _temp_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.glob(".tmp-*")) if cache.exists() else []


def _small_folder(folder: Path, tmp_path: Path) -> Path:
    small = tmp_path / "small"
    for src in sorted(folder.rglob("*.png"))[:40:4]:
        (small / src.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, small / src.parent.name / src.name)
    return small


def _rewrite(path: Path, **changes: object) -> None:
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays.update(changes)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


class _Marker:
    """Unpickling this creates a file: proof that cache data was unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.path, "w"))


DAMAGES = {
    "other format version": lambda p, tmp: _rewrite(p, version=np.int64(CACHE_VERSION + 1)),
    "other model": lambda p, tmp: _rewrite(p, model_sha256=np.str_("0" * 64)),
    "NaN vector": lambda p, tmp: _rewrite(p, vectors=np.full_like(np.load(p)["vectors"], np.nan)),
    "wrong width": lambda p, tmp: _rewrite(p, vectors=np.zeros((10, 7), np.float32)),
    "lengths disagree": lambda p, tmp: _rewrite(p, sizes=np.zeros(3, np.int64)),
    "missing array": lambda p, tmp: p.write_bytes(_without(p, "mtimes")),
    "pickled object": lambda p, tmp: _rewrite(p, paths=np.array([_Marker(str(tmp / "pwned"))], dtype=object)),
    "empty file": lambda p, tmp: p.write_bytes(b""),
    "not a zip": lambda p, tmp: p.write_bytes(b"PK\x03\x04" + os.urandom(200)),
    "cut in half": lambda p, tmp: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
}


def _without(path: Path, key: str) -> bytes:
    import io

    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != key}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_corrupt_or_foreign_cache_is_rebuilt_with_a_notice(
    folder: Path, embedder: Embedder, tmp_path: Path, damage: str
) -> None:
    small = _small_folder(folder, tmp_path)
    first = embed_folder(small, embedder, cache_dir=tmp_path / "c")
    path = cache_path(tmp_path / "c", small, embedder.sha256)
    DAMAGES[damage](path, tmp_path)
    again = embed_folder(small, embedder, cache_dir=tmp_path / "c")
    assert len(again.notices) == 1
    assert "cache" in again.notices[0]
    assert "rebuilding" in again.notices[0]
    assert again.n_embedded == len(first)
    np.testing.assert_allclose(again.vectors, first.vectors, atol=1e-6)
    third = embed_folder(small, embedder, cache_dir=tmp_path / "c")
    assert third.notices == []
    assert third.n_cached == len(first)
    assert not (tmp_path / "pwned").exists()


def test_cache_that_cannot_be_written_is_a_notice_not_a_crash(
    folder: Path, embedder: Embedder, tmp_path: Path
) -> None:
    small = _small_folder(folder, tmp_path)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    result = embed_folder(small, embedder, cache_dir=blocker)
    assert len(result) == 10
    assert len(result.notices) == 1
    assert "could not save the embedding cache" in result.notices[0]
    assert blocker.read_text() == "a file where the cache directory should be"


def test_save_then_load_round_trips_awkward_names(tmp_path: Path) -> None:
    names = ["new\nline.png", "ünï 画像.png", "bad\udcffbyte.png", "-dash.png", "<script>/x.png"]
    vectors = np.random.default_rng(0).standard_normal((len(names), 4)).astype(np.float32)
    path = tmp_path / "c.npz"
    assert save_cache(path, "sha", names, [1, 2, 3, 4, 5], [6, 7, 8, 9, 10], vectors) is None
    loaded = load_cache(path, 4, "sha")
    assert loaded.notice is None
    for i, name in enumerate(names):
        got = loaded.get(name, i + 1, i + 6)
        assert got is not None
        np.testing.assert_array_equal(got, vectors[i])


def test_cache_file_is_never_unpickled_even_when_asked(tmp_path: Path) -> None:
    """A hand-made cache whose arrays are pickles: loading it must not run the pickle."""
    path = tmp_path / "evil.npz"
    with open(path, "wb") as fh:
        np.savez(fh, version=np.int64(CACHE_VERSION), paths=np.array([_Marker(str(tmp_path / "ran"))]))
    cached = load_cache(path, 4, "sha")
    assert cached.notice is not None
    assert not (tmp_path / "ran").exists()
