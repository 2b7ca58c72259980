"""The embedding cache survives kill -9 at any moment, and a corrupt or foreign cache is rebuilt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.folder.cache import CACHE_VERSION, cache_path, load_cache, save_cache
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.model.embedder import Embedder

REPO = Path(__file__).resolve().parents[2]
CYCLES = 3  # each: kills at start, after progress and inside a write, then a scan that finishes
N_IMAGES = 300

# The child stops at a chosen point and waits; the parent then kills it there with SIGKILL:
# "start" (model loaded, scan not begun), "progress" (after the AT-th progress report: earlier
# batches are checkpointed), "write" (inside the AT-th cache write: temp file written, not renamed),
# "finish" (never stops).
CHILD = """
import os
import sys
import lookalike.engine.folder.embedding as fe
from lookalike.engine.model.embedder import Embedder

folder, model, mode, at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fe.CHECKPOINT_SECONDS = 0.0  # checkpoint after every batch


def stop_here(what):
    print(what, flush=True)
    sys.stdin.readline()  # blocks until the parent kills this process


if mode == "write":
    real_fsync, writes = os.fsync, []

    def fsync(fd):
        writes.append(fd)
        if len(writes) == at:
            stop_here("stopped")
        real_fsync(fd)

    os.fsync = fsync
embedder = Embedder(model, device="cpu")
if mode == "start":
    stop_here("stopped")
reports = []


def progress(done, total):
    reports.append(done)
    if mode == "progress" and len(reports) == at:
        stop_here("stopped")


result = fe.embed_folder(folder, embedder, progress=progress, batch_size=8)
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


def _scan_and_kill(folder: Path, model: Path, cache: Path, mode: str, at: int = 0) -> str:
    """Run a scan in a child process that stops where `mode` says, and SIGKILL it there."""
    env = {**os.environ, "LOOKALIKE_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-c", CHILD, str(folder), str(model), mode, str(at)]
    with subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    ) as proc:
        assert proc.stdout is not None
        last = ""
        for line in proc.stdout:
            last = line.strip()
            if last == "stopped" or last.startswith("done"):
                break
        if mode != "finish":
            assert last == "stopped", f"the scan ended before its stop point ({mode} {at})"
            proc.kill()
        code = proc.wait(timeout=60)
    assert mode != "finish" or code == 0, f"the scan after the kills failed with {code}"
    return last


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
    for (rel, size, *_stamps), row in cached.keys.items():
        assert rel in fresh
        assert (folder / rel).stat().st_size == size
        np.testing.assert_allclose(cached.vectors[row], fresh[rel], atol=1e-5, err_msg=rel)
    if complete:
        assert {k[0] for k in cached.keys} == set(fresh)
    return len(cached.keys)


@pytest.mark.timeout(240)
def test_kill_9_at_every_kind_of_point_never_corrupts_the_cache(
    folder: Path, embedder: Embedder, fresh: dict[str, np.ndarray], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    batches = len(fresh) // 8
    for cycle in range(CYCLES):
        count = _check_cache(folder, embedder, cache, fresh, complete=False)
        _scan_and_kill(folder, embedder.path, cache, "start")
        assert _check_cache(folder, embedder, cache, fresh, complete=False) == count
        # Stop after a few new batches (each checkpointed); the first report is the cache's count.
        _scan_and_kill(folder, embedder.path, cache, "progress", at=3 + cycle % (batches // 4))
        grown = _check_cache(folder, embedder, cache, fresh, complete=False)
        assert grown > count
        _scan_and_kill(folder, embedder.path, cache, "write", at=2 + cycle)
        assert _temp_files(cache) != []  # killed inside a write: its temp file is left behind...
        assert _check_cache(folder, embedder, cache, fresh, complete=False) >= grown  # ...the cache is whole
        _scan_and_kill(folder, embedder.path, cache, "finish")
        _check_cache(folder, embedder, cache, fresh, complete=True)
        assert _temp_files(cache) == []  # what killed writers left is removed by the next save
        shutil.rmtree(cache)


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
    keys = [(name, i + 1, i + 6, i + 11, 2**64 - 1 - i, "d" * i) for i, name in enumerate(names)]
    assert save_cache(path, "sha", keys, vectors) is None
    loaded = load_cache(path, 4, "sha")
    assert loaded.notice is None
    for i, key in enumerate(keys):
        got = loaded.get(key)
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
