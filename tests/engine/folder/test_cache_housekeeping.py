"""Issue 10, defect 8: the cache is capped (least recently used pruned), can be shown and cleared,
and ONNX Runtime leaves nothing in the user's cache folders and prints no coloured warnings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lookalike.engine.folder.cache import cache_path, default_cache_dir
from lookalike.engine.folder.cache_housekeeping import cache_files, mark_used, prune_cache
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.model.bundled import sample_folder
from lookalike.engine.model.embedder import Embedder

from lookalike.cli.main import main

REPO = Path(__file__).resolve().parents[2]
SECOND = 1_000_000_000


def _fake_cache(directory: Path, index: int, size: int, used_s: int) -> Path:
    path = directory / f"{index:024x}-{index:016x}.npz"
    path.write_bytes(b"\0" * size)
    os.utime(path, ns=(used_s * SECOND, used_s * SECOND))
    return path


def test_prune_removes_least_recently_used_first_and_never_the_one_in_use(tmp_path: Path) -> None:
    files = [_fake_cache(tmp_path, i, 1000, used_s=1_000_000 + i) for i in range(6)]
    (tmp_path / "not-ours.npz").write_bytes(b"\0" * 10_000)  # a user's file in a shared folder
    removed = prune_cache(tmp_path, keep=files[0], max_bytes=3000)
    assert removed == files[1:4]
    assert sorted(cache_files(tmp_path)) == [files[0], *files[4:]]
    assert (tmp_path / "not-ours.npz").exists()


def test_a_use_is_recorded_without_touching_the_mtime(tmp_path: Path) -> None:
    path = _fake_cache(tmp_path, 1, 10, used_s=1_000_000)
    mtime = path.stat().st_mtime_ns
    mark_used(path)
    assert path.stat().st_mtime_ns == mtime
    assert path.stat().st_atime_ns > mtime


def test_scans_keep_the_cache_under_its_cap(
    tmp_path: Path, cpu_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    folders = []
    for cls in ("10_of_hearts", "1_of_clubs", "5_of_diamonds"):  # equal sizes: 7 images each
        folders.append(tmp_path / cls)
        shutil.copytree(sample_folder() / cls, folders[-1] / cls)
    embed_folder(folders[0], cpu_embedder, cache_dir=cache)
    one_file = cache_files(cache)[0].stat().st_size
    monkeypatch.setenv("LOOKALIKE_CACHE_MAX_MB", str(2.5 * one_file / 1024 / 1024))
    for folder in folders[1:]:
        embed_folder(folder, cpu_embedder, cache_dir=cache)
    assert len(cache_files(cache)) == 2
    assert not cache_path(cache, folders[0], cpu_embedder.sha256).exists()  # the least recently used
    again = embed_folder(folders[2], cpu_embedder, cache_dir=cache)
    assert again.n_embedded == 0


def test_cache_command_shows_and_clears_only_its_own_files(
    tmp_path: Path, projection_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photos = tmp_path / "photos"
    shutil.copytree(sample_folder() / "flag_de", photos / "flag_de")
    cache = default_cache_dir()
    (cache / "keep.txt").write_text("not ours")
    assert main(["embed", str(photos), "--model", str(projection_model_path), "--device", "cpu"]) == 0
    capsys.readouterr()
    assert main(["cache", "--info", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["files"] == 1
    assert shown["bytes"] == cache_files(cache)[0].stat().st_size
    assert shown["directory"] == str(cache)
    assert main(["cache", "--clear"]) == 0
    assert "removed 1 cache file(s)" in capsys.readouterr().err
    assert cache_files(cache) == []
    assert (cache / "keep.txt").read_text() == "not ours"


TELEMETRY_CHILD = """
import sys
from lookalike.engine.model.embedder import Embedder
Embedder(sys.argv[1], device="cpu")
"""


@pytest.mark.parametrize("cache_home", ["folder", "file"])
def test_onnx_runtime_writes_no_telemetry_and_prints_no_ansi(
    tmp_path: Path, projection_model_path: Path, cache_home: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    xdg = tmp_path / "xdg"
    if cache_home == "folder":
        xdg.mkdir()
    else:
        xdg.write_text("a file where the cache folder should be")  # ORT warned in colour here
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(xdg), PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-c", TELEMETRY_CHILD, str(projection_model_path)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert list(home.rglob("*")) == []
    if cache_home == "folder":
        assert list(xdg.rglob("*")) == []
