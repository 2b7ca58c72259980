"""Find the images in a folder tree: relative path, class label, and the stat that keys the cache."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lookalike.engine.errors import FolderError
from lookalike.engine.image_loading import is_image_name


@dataclass(frozen=True)
class ImageEntry:
    """One candidate image: where it is, which class (first-level folder) and its stat key.

    `mtime_ns` holds `change_stamp` (max of mtime and ctime), not the raw mtime."""

    rel_path: str
    label: str | None
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class SkippedFile:
    """A file that could not be embedded, with the reason the user sees."""

    path: str
    reason: str


def label_of(rel_path: str) -> str | None:
    """Class = first-level sub-folder name; images directly in the root have none."""
    parts = rel_path.split("/")
    return parts[0] if len(parts) > 1 else None


def change_stamp(st: os.stat_result) -> int:
    """The cache's version stamp: the later of mtime and ctime, so a file whose mtime was put back
    (cp -p, rsync -t, touch -r, a camera app) after an edit still counts as changed."""
    return max(st.st_mtime_ns, st.st_ctime_ns)


def scan_folder(folder: str | os.PathLike[str]) -> tuple[list[ImageEntry], list[SkippedFile]]:
    """List image files recursively (sorted, symlink loops safe); unreadable entries are skipped."""
    root = Path(folder)
    if not root.exists():
        raise FolderError(f"folder not found: {root}")
    if not root.is_dir():
        raise FolderError(f"not a folder: {root}")
    if not os.access(root, os.R_OK | os.X_OK):
        raise FolderError(f"folder cannot be read (permission denied): {root}")
    entries: list[ImageEntry] = []
    skipped: list[SkippedFile] = []
    for rel, reason, st in _walk(root):
        if reason is not None or st is None:
            skipped.append(SkippedFile(rel, reason or "cannot be read"))
        else:
            entries.append(ImageEntry(rel, label_of(rel), st.st_size, change_stamp(st)))
    entries.sort(key=lambda e: e.rel_path)
    skipped.sort(key=lambda s: s.path)
    return entries, skipped


def _walk(root: Path) -> Iterator[tuple[str, str | None, os.stat_result | None]]:
    """Yield (relative path, skip reason or None, stat) for every image-named file under root.

    Paths travel as plain strings (folder, relative prefix): pathlib per file cost 85% of an
    unchanged re-scan, about 6 s at 100k images."""
    seen_dirs: set[tuple[int, int]] = set()
    stack: list[tuple[str, str]] = [(os.fspath(root), "")]
    while stack:
        current, prefix = stack.pop()
        try:
            st = os.stat(current)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen_dirs:
            continue  # a symlink loop, or the same folder reached twice
        seen_dirs.add((st.st_dev, st.st_ino))
        try:
            with os.scandir(current) as it:
                children = list(it)
        except OSError as exc:
            yield prefix.rstrip("/"), f"folder cannot be read: {exc.strerror or exc}", None
            continue
        for child in children:
            yield from _visit(child, prefix, stack)


def _visit(
    child: os.DirEntry[str], prefix: str, stack: list[tuple[str, str]]
) -> Iterator[tuple[str, str | None, os.stat_result | None]]:
    rel = prefix + child.name
    try:
        if child.is_dir(follow_symlinks=True):
            if not child.name.startswith("."):
                stack.append((child.path, rel + "/"))
            return
    except OSError:
        pass
    if child.name.startswith(".") or not is_image_name(child.name):
        return
    try:
        st = child.stat(follow_symlinks=True)
    except OSError as exc:
        yield rel, _stat_failure(child, exc), None
        return
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO blocks forever and a device never ends: list them, never read them.
        yield rel, "not a regular file (a FIFO, device or socket)", None
        return
    yield rel, None, st


def _stat_failure(child: os.DirEntry[str], exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if child.is_symlink() and isinstance(exc, FileNotFoundError):
        return "dangling symlink"
    return f"cannot stat: {exc.strerror or exc}"
