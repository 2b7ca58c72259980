"""A full session of CLI commands never writes in the user's folder and never opens a network connection."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lookalike.cli.main import main
from tests.engine.bad_corpus import make_bad_corpus, unlock_corpus

CLASSES = ("3_of_hearts", "king_of_clubs", "7_of_spades")


@pytest.fixture
def folder(image_data: Path, tmp_path: Path) -> Iterator[Path]:
    """Real cards in three classes, plus the whole bad corpus (links, FIFO, hostile names) beside them."""
    root = tmp_path / "user folder"
    for cls in CLASSES:
        (root / cls).mkdir(parents=True)
        for src in sorted((image_data / "cards" / cls).iterdir())[:6]:
            shutil.copy2(src, root / cls / src.name)
    make_bad_corpus(root / "corpus")
    yield root
    unlock_corpus(root / "corpus")


def snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under root, links not followed: kind, mode, size, mtime and content hash."""
    out: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            rel = path.relative_to(root).as_posix()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(st.st_mode):
                out[rel] = ("file", st.st_mode, st.st_size, st.st_mtime_ns, _sha256(path, st.st_mode))
            else:
                out[rel] = ("other", st.st_mode, st.st_mtime_ns if stat.S_ISDIR(st.st_mode) else 0)
    return out


def _sha256(path: Path, mode: int) -> str:
    if not mode & 0o444:
        path.chmod(0o400)
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()
        finally:
            path.chmod(mode & 0o7777)
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Refuse and record every attempt to reach another machine from this test's own threads.

    Background threads that earlier tests left in the process (Ray's metrics exporter after the
    cluster tests, say) are refused but not recorded: they are not this CLI session's doing."""
    attempts: list[object] = []
    earlier = {t.ident for t in threading.enumerate()} - {threading.main_thread().ident}

    def refuse(*args: object, **kwargs: object) -> None:
        if threading.get_ident() not in earlier:
            attempts.append(args)
        raise OSError("network access is not allowed in this test")

    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            refuse(address)
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: refuse(address))
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.mark.timeout(180)
def test_a_full_cli_session_leaves_the_folder_byte_identical(
    folder: Path,
    projection_model_path: Path,
    tmp_path: Path,
    no_network: list[object],
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = snapshot(folder)
    assert len(before) > 60
    model = ["--model", str(projection_model_path), "--device", "cpu"]
    a, b = sorted((folder / CLASSES[0]).iterdir())[:2]
    commands = [
        ["embed", str(folder), "--out", str(tmp_path / "vectors.npz"), *model],
        ["embed", str(folder), "--json", *model],
        ["compare", str(a), str(b), *model],
        ["neighbours", str(folder), "-k", "3", "--query", str(a), *model],
        ["neighbours", str(folder), "-k", "2", "--json", *model],
        ["evaluate", str(folder), "--json", *model],
        ["map", str(folder), "--html", str(tmp_path / "map.html"), *model],
    ]
    for argv in commands:
        assert main(argv) == 0, (argv, capsys.readouterr().err)
    _, err = capsys.readouterr()
    assert "skipped" in err  # the corpus's bad files were listed, not fatal
    assert snapshot(folder) == before
    assert no_network == []
    assert (tmp_path / "map.html").stat().st_size > 0
