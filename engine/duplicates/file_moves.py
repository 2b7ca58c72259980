"""Move images out of the way (system trash or a chosen folder) and put them back: never a delete.

A move is all-or-reported: every file either moved (and is in the record, so undo puts it back) or
is named with the reason it stayed. The trash itself is the caller's (the app passes Qt's
`QFile.moveToTrash`, which says where each file landed); this module only keeps the records.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from lookalike.engine.duplicates.placement import place_file
from lookalike.engine.errors import LookalikeError

MoveKind = Literal["trash", "folder"]
TRASH = "the system trash"
# Moves one file to the trash and returns where it is now (None: not known); raises OSError.
TrashFn = Callable[[Path], Path | None]


class MoveError(LookalikeError):
    """A move that could not start (bad destination); nothing was moved."""


@dataclass(frozen=True)
class Moved:
    """One file that left the folder: where it was, and where it is now (None: not known).

    `link_text` is a symbolic link's own text when it was rewritten on the way (a relative link
    moved elsewhere points at its target by absolute path, so it still resolves); undo restores it."""

    original: Path
    now: Path | None
    trash_info: Path | None = None
    link_text: str | None = None


@dataclass(frozen=True)
class MoveRecord:
    """What one action did, enough to undo it."""

    kind: MoveKind
    moved: tuple[Moved, ...]
    destination: str  # the folder, or "the system trash"
    created: tuple[Path, ...] = ()  # folders the move made (undo removes them when empty)


@dataclass(frozen=True)
class MoveOutcome:
    """A move's result: what moved, what stayed with why, and why it stopped early (if it did)."""

    record: MoveRecord
    skipped: tuple[tuple[str, str], ...] = ()  # (file, reason): left in place
    stopped: str | None = None  # the error that ended the move; the files after it were not tried
    not_tried: int = 0
    cancelled: bool = False  # stopped on the user's request, not by an error

    def summary(self) -> str:
        """One message that says exactly what happened (the notice, or the dialog's text)."""
        text = f"Moved {len(self.record.moved)} image(s) to {self.record.destination}"
        if self.stopped:
            text += f"; stopped: {self.stopped}; {self.not_tried} image(s) not moved"
        if self.skipped:
            text += f"; left {len(self.skipped)} in place: " + "; ".join(f"{n}: {r}" for n, r in self.skipped)
        return text


@dataclass(frozen=True)
class UndoOutcome:
    """What an undo put back; `remaining` keeps the files it could not restore, for another try."""

    restored: list[Path]
    problems: list[str] = field(default_factory=list)
    remaining: MoveRecord | None = None

    def summary(self) -> str:
        """One message that agrees with what happened."""
        total = len(self.restored) + len(self.problems)
        text = f"Restored {len(self.restored)} of {total} image(s)"
        if self.problems:
            text += ": " + "; ".join(self.problems)
            if self.remaining is not None:
                text += " (Undo again once fixed)"
        return text


def trash_one(path: Path, trash: TrashFn) -> Moved:
    """Send one file to the trash; the freedesktop info file sits next to the trashed one."""
    original = path.absolute()
    now = trash(original)
    info = None
    if now is not None and now.parent.name == "files":
        candidate = now.parent.parent / "info" / f"{now.name}.trashinfo"
        info = candidate if candidate.is_file() else None
    return Moved(original, now, info)


def undo_move(record: MoveRecord) -> UndoOutcome:
    """Put every file of the record back where it was; a file now in its place is never replaced.

    A file that cannot be restored (gone from the trash, its place taken, an OSError) stays in the
    returned record, so nothing is forgotten and undo can be tried again."""
    restored: list[Path] = []
    problems: list[str] = []
    left: list[Moved] = []
    for item in record.moved:
        problem = _restore(item, record.destination)
        if problem is None:
            restored.append(item.original)
        else:
            problems.append(f"{item.original.name}: {problem}")
            if item.now is not None and os.path.lexists(item.now):
                left.append(item)
    if not left:
        _remove_empty(record.created)
    remaining = replace(record, moved=tuple(left)) if left else None
    return UndoOutcome(restored, problems, remaining)


def _restore(item: Moved, where: str) -> str | None:
    """Move one file back; the reason it could not be, or None."""
    if item.now is None or not os.path.lexists(item.now):
        return f"not found in {where}; restore it from there"
    if os.path.lexists(item.original):
        return "a file of that name is back in its place; left as is"
    try:
        item.original.parent.mkdir(parents=True, exist_ok=True)
        if item.link_text is not None:
            os.symlink(item.link_text, item.original)
            os.unlink(item.now)
        else:
            place_file(item.now, item.original)
    except OSError as exc:
        return f"could not be put back ({exc.strerror or exc})"
    if item.trash_info is not None:
        item.trash_info.unlink(missing_ok=True)
    return None


def _remove_empty(folders: Sequence[Path]) -> None:
    """Remove the folders a move created, deepest first, where they are empty again."""
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            continue  # not empty (the user put something there) or already gone: keep it
