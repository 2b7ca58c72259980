"""Act on a duplicate listing as the folder is now, not as it was listed.

Just before each file moves it is checked again: it must still be the file that was listed (the
identity the embedding cache compares: size, mtime, ctime, inode, and the content hash for files
with future timestamps), and its group's kept image must still be there, unchanged. Anything else
stays where it is and is reported; nothing moves on a stale listing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from lookalike.engine.duplicates.file_moves import (
    TRASH,
    Moved,
    MoveError,
    MoveKind,
    MoveOutcome,
    MoveRecord,
    TrashFn,
    trash_one,
)
from lookalike.engine.duplicates.keep_rules import FileFacts
from lookalike.engine.duplicates.listing import DuplicateGroup
from lookalike.engine.folder.scan import entry_for


class MoveTarget(Protocol):
    """Where files go: the trash or a folder (engine.duplicates.folder_moves.FolderTarget)."""

    kind: MoveKind
    created: list[Path]

    @property
    def label(self) -> str: ...

    def check(self, rels: Sequence[str]) -> None: ...

    def __call__(self, path: Path) -> Moved: ...


@dataclass
class TrashTarget:
    """The system trash, through the caller's trash function (the app's is Qt's)."""

    trash: TrashFn
    kind: MoveKind = "trash"
    label: str = TRASH
    created: list[Path] = field(default_factory=list)  # the trash makes no folders

    def check(self, rels: Sequence[str]) -> None:
        """The trash needs no check before the move."""

    def __call__(self, path: Path) -> Moved:
        """Trash one file."""
        return trash_one(path, self.trash)


def why_changed(folder: Path, facts: FileFacts) -> str | None:
    """Why this file is no longer the one that was listed, or None when it still is."""
    try:
        st = os.stat(folder / facts.rel_path)
    except OSError:
        return "no longer there"
    now = entry_for(str(folder), facts.rel_path, st, time.time_ns())
    if facts.identity is not None and now.key != facts.identity:
        return "changed since it was listed"
    return None


def move_groups(
    folder: Path,
    groups: Sequence[DuplicateGroup],
    target: MoveTarget,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> MoveOutcome:
    """Move every group's proposed images to `target`, re-checking each one first.

    Raises MoveError before anything moves when the destination cannot take the files."""
    todo = [(g, f) for g in groups for f in g.moving()]
    target.check([f.rel_path for _, f in todo])
    moved: list[Moved] = []
    skipped: list[tuple[str, str]] = []
    kept_problem: dict[int, str | None] = {}
    stopped, not_tried, was_cancelled = None, 0, False
    for n, (group, facts) in enumerate(todo):
        if cancelled():
            stopped, not_tried, was_cancelled = "cancelled", len(todo) - n, True
            break
        if id(group) not in kept_problem:
            kept = group.files[group.keep]
            reason = why_changed(folder, kept)
            kept_problem[id(group)] = f"its group's kept image {kept.rel_path}: {reason}" if reason else None
        reason = kept_problem[id(group)] or why_changed(folder, facts)
        if reason is not None:
            skipped.append((facts.rel_path, reason))
            continue
        try:
            moved.append(target(folder / facts.rel_path))
        except (OSError, MoveError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            stopped, not_tried = f"{facts.rel_path}: {why}", len(todo) - n
            break
        if progress is not None:
            progress(n + 1, len(todo))
    record = MoveRecord(target.kind, tuple(moved), target.label, tuple(target.created))
    return MoveOutcome(record, tuple(skipped), stopped, not_tried, was_cancelled)
