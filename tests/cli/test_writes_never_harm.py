"""Every command that writes a file, walked through what can go wrong at its output: a user's file
already there, an output inside the folder being read, a read-only destination and a full one
(stubbed filesystem errors: the suite runs as root on CI, where chmod does not stop a write).
Each must end in one error line (exit 2) with no byte of the user's files changed and no
temporary file left behind."""

from __future__ import annotations

import builtins
import errno
import hashlib
import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from lookalike.cli.main import main
from tests.real_data import CARDS, copy_card_classes


@dataclass(frozen=True)
class Command:
    """One writing command: its argv for (input folder, output path), and whether OUT is a folder."""

    argv: Callable[[Path, Path, Path], list[str]]  # (data folder, output, workspace) → argv
    suffix: str  # the output's name suffix ("" for a folder)
    user_name: str  # the file name a user's own file has at the output ("" : OUT itself)
    needs: tuple[str, ...] = ()
    inside: Callable[[Path], Path] | None = None  # an output among the inputs (default: in DATA)


def _checkpoint(work: Path) -> Path:
    """A tiny trained run (one epoch, seconds) to export, made once per workspace."""
    ckpt = work / "ckpt" / "best.pt"
    if not ckpt.exists():
        from lookalike.train.loop.trainer import run

        from tests.train.conftest import tiny_config

        run(tiny_config(ckpt.parent, data=(str(work / "cards"),), epochs=1, export=False), log=lambda m: None)
    return ckpt


TINY = ["--val-classes", "3", "--image-size", "32", "--backbone", "compact", "--width", "8", "--dim", "16"]
TINY += ["--batch-classes", "4", "--batch-images", "4", "--device", "cpu", "--threads", "1", "--dry-run"]
TORCH = ("torch",)
PAIR = lambda d: [str(d.parent / "pair" / "a.png"), str(d.parent / "pair" / "b.png")]  # noqa: E731

COMMANDS = {
    "embed": Command(lambda d, o, w: ["embed", str(d), "--out", str(o), "--device", "cpu"], ".npz", ""),
    "map": Command(lambda d, o, w: ["map", str(d), "--html", str(o), "--device", "cpu"], ".html", ""),
    "explain": Command(lambda d, o, w: ["explain", *PAIR(d), "--out", str(o), "--device", "cpu"], ".png", "",
                       inside=lambda w: w / "pair" / "a.png"),
    "train": Command(lambda d, o, w: ["train", str(d), "--out", str(o), *TINY], "", "config.json", TORCH),
    "export": Command(lambda d, o, w: ["export", str(_checkpoint(w)), "--out", str(o)], ".onnx", "", TORCH),
    "index": Command(lambda d, o, w: ["index", str(d), "--out", str(o), "--workers", "1"], "", "notes.txt",
                     ("ray", "pyarrow", "faiss")),
}  # fmt: skip


def _snapshot(*roots: Path) -> dict[str, str]:
    """Every file under the roots with a hash of its bytes."""
    out: dict[str, str] = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A workspace: cards/ (the data read, 6 classes), dest/ (where outputs go, with a user file)."""
    copy_card_classes(tmp_path / "cards", sorted(p.name for p in CARDS.iterdir() if p.is_dir())[:6])
    (tmp_path / "pair").mkdir()  # explain reads two files, not a folder
    for name, src in zip(("a.png", "b.png"), sorted((tmp_path / "cards").rglob("*.jpg"))[:2], strict=True):
        Image.open(src).save(tmp_path / "pair" / name)
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "keep-me.txt").write_text("the user's own notes\n")
    return tmp_path


def _run(command: Command, work: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    code = main(command.argv(work / "cards", out, work))
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("lookalike")]
    assert code == 2, err
    assert len(err) == 1
    assert "please report" not in err[0]
    return err


def _needs(command: Command) -> None:
    for module in command.needs:
        pytest.importorskip(module)


def _out(command: Command, work: Path, name: str = "out") -> Path:
    return work / "dest" / f"{name}{command.suffix}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_users_file_at_the_output_is_never_replaced(
    name: str, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = COMMANDS[name]
    _needs(command)
    out = _out(command, work)
    if command.user_name:
        out.mkdir()
        (out / command.user_name).write_text("mine, not Lookalike's\n")
    else:
        out.write_text("mine, not Lookalike's\n")
    before = _snapshot(work / "cards", work / "dest")
    err = _run(command, work, out, capsys)
    assert str(out) in err[0] or out.name in err[0]
    assert _snapshot(work / "cards", work / "dest") == before


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_output_inside_the_folder_read_is_refused(
    name: str, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = COMMANDS[name]
    _needs(command)
    out = command.inside(work) if command.inside else work / "cards" / f"out{command.suffix}"
    existed = out.exists()
    before = _snapshot(work / "cards", work / "dest", work / "pair")
    _run(command, work, out, capsys)
    assert _snapshot(work / "cards", work / "dest", work / "pair") == before
    assert out.exists() == existed


FAILURES = {"read-only": errno.EROFS, "full": errno.ENOSPC, "full during the write": errno.ENOSPC}


class _Filling:
    """A file in the destination whose disk fills up: the first write keeps a few bytes, then
    ENOSPC (what a half-written temp file looks like when the disk runs out)."""

    def __init__(self, fh: Any) -> None:
        self._fh = fh

    def write(self, data: Any) -> int:
        self._fh.write(bytes(data)[:16] if not isinstance(data, str) else data[:16])
        self._fh.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _Filling:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


@contextmanager
def filling_destination(dest: Path) -> Iterator[None]:
    """Files can be created inside `dest`, but writing to them fails with ENOSPC."""
    real_fdopen, real_open = os.fdopen, builtins.open
    root = os.path.realpath(dest)

    def inside(path: str) -> bool:
        return os.path.realpath(path).startswith(root + os.sep)

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_fdopen(fd, mode, *args, **kwargs)
        return _Filling(fh) if set(mode) & set("wa+") and inside(os.readlink(f"/proc/self/fd/{fd}")) else fh

    def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(file, mode, *args, **kwargs)
        named = isinstance(file, str | bytes | os.PathLike)
        return _Filling(fh) if named and set(mode) & set("wax+") and inside(os.fsdecode(file)) else fh

    patches = [(os, "fdopen", fdopen), (builtins, "open", open_), (io, "open", open_)]
    saved = [(mod, name, getattr(mod, name)) for mod, name, _ in patches]
    try:
        for mod, name, stub in patches:
            setattr(mod, name, stub)
        yield
    finally:
        for mod, name, original in saved:
            setattr(mod, name, original)


def _failing(dest: Path, failure: str) -> Any:
    return (
        filling_destination(dest)
        if failure == "full during the write"
        else failing_destination(dest, FAILURES[failure])
    )


@contextmanager
def failing_destination(dest: Path, code: int) -> Iterator[None]:
    """Every way a command creates or replaces something inside `dest` fails with `code`, as a
    read-only or full file system answers; everything elsewhere (caches, temp dirs) works."""
    real = {"mkstemp": tempfile.mkstemp, "replace": os.replace, "mkdir": os.mkdir, "open": builtins.open}
    root = os.path.realpath(dest)

    def inside(path: object) -> bool:
        text = os.path.realpath(os.fsdecode(path)) if isinstance(path, str | bytes | os.PathLike) else ""
        return text == root or text.startswith(root + os.sep)

    def fail(path: object) -> OSError:
        return OSError(code, os.strerror(code), os.fsdecode(path))  # type: ignore[arg-type]

    def mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:
        where = kwargs.get("dir") or (args[2] if len(args) > 2 else None)
        if where is not None and inside(where):
            raise fail(where)
        return real["mkstemp"](*args, **kwargs)  # type: ignore[operator]

    def replace(src: object, dst: object, **kwargs: object) -> None:
        if inside(dst):
            raise fail(dst)
        real["replace"](src, dst, **kwargs)  # type: ignore[operator]

    def mkdir(path: object, *args: object, **kwargs: object) -> None:
        if inside(path):
            raise fail(path)
        real["mkdir"](path, *args, **kwargs)  # type: ignore[operator]

    def open_(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if isinstance(file, str | bytes | os.PathLike) and set(mode) & set("wax+") and inside(file):
            raise fail(file)
        return real["open"](file, mode, *args, **kwargs)  # type: ignore[operator]

    patches = [(tempfile, "mkstemp", mkstemp), (os, "replace", replace), (os, "mkdir", mkdir)]
    patches += [(builtins, "open", open_), (io, "open", open_)]
    saved = [(mod, name, getattr(mod, name)) for mod, name, _ in patches]
    try:
        for mod, name, stub in patches:
            setattr(mod, name, stub)
        yield
    finally:
        for mod, name, original in saved:
            setattr(mod, name, original)


@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_destination_that_cannot_be_written_changes_nothing(
    name: str, failure: str, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = COMMANDS[name]
    _needs(command)
    out = _out(command, work)
    if name == "export":
        _checkpoint(work)  # made before the destination fails (it lives elsewhere)
    before = _snapshot(work / "cards", work / "dest", work / "pair")
    if sys.platform != "linux" and failure == "full during the write":
        pytest.skip("finds a file descriptor's path through /proc")
    with _failing(work / "dest", failure):
        err = _run(command, work, out, capsys)
    assert os.strerror(FAILURES[failure]) in err[0]
    assert _snapshot(work / "cards", work / "dest", work / "pair") == before  # no temp file left either


def _app_writers() -> dict[str, Callable[[Path, Path], object]]:
    """The app's own file writers (File → Export, the map's exports, the marks export), each
    given (folder shown, output path) as the app gives them after its save dialog."""
    import numpy as np
    from lookalike.engine.io.exports import ExportTable, write_export
    from lookalike.engine.map.export import write_map_html, write_selection
    from lookalike.engine.map.projection import Projection
    from lookalike.engine.teaching.pair_marks import PairMarks

    table = ExportTable(("a",), [("=x",)], {"a": ["=x"]})
    proj = Projection(np.zeros((2, 2), np.float32), np.arange(2), 2, "t-SNE")
    record = [{"row": 0, "path": "a.jpg", "class": None, "x": 0.0, "y": 0.0}]

    def marks(folder: Path, out: Path) -> None:
        store = PairMarks(folder, folder.parent / "marks-store.json")
        store.mark("a.jpg", "b.jpg", is_match=True)
        store.export(out)

    return {
        "export.csv": lambda f, o: write_export(table, o, reads=[f]),
        "export.json": lambda f, o: write_export(table, o, reads=[f]),
        "lasso.csv": lambda f, o: write_selection(record, o, reads=[f]),
        "map.html": lambda f, o: write_map_html(proj, ["a.jpg", "b.jpg"], [None, None], o, "t", reads=[f]),
        "marks.csv": marks,
    }


@pytest.mark.parametrize("where", ["inside the folder", *FAILURES])
@pytest.mark.parametrize("name", sorted(_app_writers()))
def test_the_apps_writers_never_harm_the_users_files(name: str, where: str, work: Path) -> None:
    from lookalike.engine.errors import LookalikeError

    write = _app_writers()[name]
    folder = work / "cards"
    out = folder / name if where == "inside the folder" else work / "dest" / name
    if where != "inside the folder":
        out.write_text("an earlier file the user chose to replace\n")
    before = _snapshot(work / "cards", work / "dest")
    with _failing(work / "dest", where) if where in FAILURES else _nothing(), pytest.raises(LookalikeError):
        write(folder, out)
    assert _snapshot(work / "cards", work / "dest") == before


@contextmanager
def _nothing() -> Iterator[None]:
    yield
