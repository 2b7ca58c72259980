"""Move images out of the way (system trash or a chosen folder) and put them back: never a delete.

The system trash is send2trash's. On freedesktop systems (Linux, BSD) the trashed file is found
again through its `.trashinfo` record, so undo restores it; elsewhere undo says where to look.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from lookalike.engine.errors import LookalikeError

MoveKind = Literal["trash", "folder"]


class MoveError(LookalikeError):
    """A move or an undo that could not be done (the message says which file and why).

    `record` holds what did move before the failure, so it can still be undone."""

    def __init__(self, message: str, record: MoveRecord | None = None) -> None:
        super().__init__(message)
        self.record = record


@dataclass(frozen=True)
class Moved:
    """One file that left the folder: where it was, and where it is now (None: not known)."""

    original: Path
    now: Path | None
    trash_info: Path | None = None


@dataclass(frozen=True)
class MoveRecord:
    """What one action did, enough to undo it."""

    kind: MoveKind
    moved: tuple[Moved, ...]
    destination: str  # the folder, or "the system trash"


def move_to_folder(paths: Sequence[Path], destination: Path, root: Path | None = None) -> MoveRecord:
    """Move files into `destination`, keeping their layout below `root` when given (so two classes'
    files of one name do not meet); a name taken there gets a number, never overwritten."""
    destination.mkdir(parents=True, exist_ok=True)
    done: list[Moved] = []
    for path in paths:
        target = _free_name(destination / (path.relative_to(root) if root is not None else path.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.move(str(path), str(target))
        except OSError as exc:
            raise _partial(done, path, exc, "folder", str(destination)) from exc
        done.append(Moved(path, target))
    return MoveRecord("folder", tuple(done), str(destination))


def move_to_trash(paths: Sequence[Path]) -> MoveRecord:
    """Send files to the system trash (send2trash), remembering where each landed when that can be
    known, so undo can restore them."""
    from send2trash import send2trash

    done: list[Moved] = []
    for path in paths:
        original = path.absolute()
        before = _trash_records(original)
        try:
            send2trash(str(original))
        except OSError as exc:
            raise _partial(done, path, exc, "trash", "the system trash") from exc
        info, now = _find_trashed(original, _trash_records(original) - before)
        done.append(Moved(original, now, info))
    return MoveRecord("trash", tuple(done), "the system trash")


def undo_move(record: MoveRecord) -> list[Path]:
    """Put every file of the record back where it was; a file now in its place is never replaced."""
    restored: list[Path] = []
    problems: list[str] = []
    for item in record.moved:
        if item.now is None or not item.now.exists():
            problems.append(f"{item.original.name}: not found in {record.destination}; restore it from there")
            continue
        if item.original.exists():
            problems.append(f"{item.original.name}: a file of that name is back in its place; left as is")
            continue
        item.original.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(item.now), str(item.original))
        if item.trash_info is not None:
            item.trash_info.unlink(missing_ok=True)
        restored.append(item.original)
    if problems:
        raise MoveError(f"restored {len(restored)} of {len(record.moved)} file(s): " + "; ".join(problems))
    return restored


def _free_name(target: Path) -> Path:
    n = 1
    candidate = target
    while candidate.exists():
        candidate = target.with_name(f"{target.stem} ({n}){target.suffix}")
        n += 1
    return candidate


def _partial(done: list[Moved], path: Path, exc: OSError, kind: MoveKind, where: str) -> MoveError:
    """The error for a move that stopped midway: what did move is still undoable via the record."""
    message = f"could not move {path.name} to {where}: {exc.strerror or exc}"
    return MoveError(message, MoveRecord(kind, tuple(done), where))


def _trash_dirs(original: Path) -> list[tuple[Path, Path]]:
    """(trash folder, top folder its relative paths start from), per the freedesktop spec."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    out = [(data_home / "Trash", data_home)]
    mount = _mount_point(original.parent)
    uid = str(os.getuid()) if hasattr(os, "getuid") else ""
    out += [(mount / ".Trash" / uid, mount), (mount / f".Trash-{uid}", mount)]
    return out


def _mount_point(path: Path) -> Path:
    path = Path(os.path.realpath(path))
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def _trash_records(original: Path) -> set[tuple[Path, Path]]:
    """Every (info file, top folder) in the trash folders the file could go to."""
    found: set[tuple[Path, Path]] = set()
    for trash, top in _trash_dirs(original):
        info = trash / "info"
        if info.is_dir():
            found.update((p, top) for p in info.glob("*.trashinfo"))
    return found


def _find_trashed(original: Path, new: Iterable[tuple[Path, Path]]) -> tuple[Path | None, Path | None]:
    """The new trash record whose Path is our file, and the trashed file it describes."""
    want = os.path.realpath(original.parent) + os.sep + original.name
    for info, top in new:
        recorded = _recorded_path(info)
        if recorded is None:
            continue
        full = recorded if os.path.isabs(recorded) else os.path.join(top, recorded)
        if os.path.realpath(os.path.dirname(full)) + os.sep + os.path.basename(full) == want:
            return info, info.parent.parent / "files" / info.name[: -len(".trashinfo")]
    return None, None


def _recorded_path(info: Path) -> str | None:
    try:
        for line in info.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
            if line.startswith("Path="):
                return unquote(line[len("Path=") :], errors="surrogateescape")
    except OSError:
        return None
    return None
