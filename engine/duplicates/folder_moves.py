"""Move files into a folder the user picked: checked before anything moves, layout kept, undoable.

Refused up front, with one line: a destination that is a file, that lies inside the open folder or
holds it (files could land back in it), or that holds a file where a needed sub-folder goes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lookalike.engine.duplicates.file_moves import Moved, MoveError, MoveKind
from lookalike.engine.duplicates.placement import place_file

MAX_NUMBERED = 10_000


def within(path: str, folder: str) -> bool:
    """True when `path` is `folder` or below it (both already resolved)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_destination(destination: Path, root: Path | None, rels: Sequence[str]) -> None:
    """Raise MoveError, before anything moves, when the files cannot all go to `destination`."""
    probe = destination
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent  # the nearest part of the path that exists must be a folder
    if not probe.is_dir():
        raise MoveError(f"{probe} is a file, not a folder: pick a folder")
    if root is not None:
        dest, home = os.path.realpath(destination), os.path.realpath(root)
        if within(dest, home):
            raise MoveError(f"{destination} is inside the open folder: pick a folder outside {root}")
        if within(home, dest):
            raise MoveError(
                f"{destination} holds the open folder {root}: files moved there could land back in it; "
                "pick a folder outside it"
            )
    for rel in rels:
        parts = PurePosixPath(rel).parts[:-1] if root is not None else ()
        for depth in range(1, len(parts) + 1):
            folder = destination.joinpath(*parts[:depth])
            if os.path.lexists(folder) and not folder.is_dir():
                raise MoveError(
                    f"cannot move into {destination}: {folder} is a file where a folder is needed; "
                    "pick another folder"
                )


@dataclass
class FolderTarget:
    """Moves files one by one into `destination`, keeping their layout below `root`; records the
    folders it makes so undo can remove them again."""

    destination: Path
    root: Path | None
    created: list[Path] = field(default_factory=list)
    kind: MoveKind = "folder"

    @property
    def label(self) -> str:
        """Where the files go, for messages."""
        return str(self.destination)

    def check(self, rels: Sequence[str]) -> None:
        """Refuse the whole move before it starts (check_destination)."""
        check_destination(self.destination, self.root, rels)

    def __call__(self, path: Path) -> Moved:
        """Move one file; a name taken at the destination gets a number, never replaced."""
        rel = path.relative_to(self.root) if self.root is not None else Path(path.name)
        folder = self.destination / rel.parent
        self._make_folders(folder)
        if self.root is not None and within(os.path.realpath(folder), os.path.realpath(self.root)):
            raise MoveError(f"{folder} leads back into the open folder (a link?); {rel} not moved")
        for target in _candidates(folder / rel.name):
            try:
                return _move_one(path, target)
            except FileExistsError:
                continue
        raise MoveError(f"no free name for {rel.name} in {folder}")

    def _make_folders(self, folder: Path) -> None:
        missing: list[Path] = []
        probe = folder
        while not os.path.lexists(probe) and probe != probe.parent:
            missing.append(probe)
            probe = probe.parent
        for path in reversed(missing):
            path.mkdir()
            self.created.append(path)


def _candidates(target: Path) -> Iterator[Path]:
    yield target
    for n in range(1, MAX_NUMBERED):
        yield target.with_name(f"{target.stem} ({n}){target.suffix}")


def _move_one(path: Path, target: Path) -> Moved:
    """Move a file, or re-point a symbolic link: a relative link gets its target's absolute path, so
    it still resolves from its new place; its own text is kept for undo."""
    if not os.path.islink(path):
        place_file(path, target)
        return Moved(path, target)
    text = os.readlink(path)
    if os.path.isabs(text):
        place_file(path, target)
        return Moved(path, target)
    os.symlink(os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), text)), target)
    try:
        os.unlink(path)
    except OSError:
        os.unlink(target)
        raise
    return Moved(path, target, link_text=text)
