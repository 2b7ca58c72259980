"""What `lookalike index SOURCE` reads: a folder tree, or a text file naming one image per line."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, replace
from pathlib import Path

from lookalike.engine.errors import FolderError
from lookalike.engine.folder.scan import ImageEntry, SkippedFile, entry_for, scan_folder


@dataclass(frozen=True)
class SourceListing:
    """The files to index: paths relative to `root` (absolute paths for a list file, root "/")."""

    root: Path
    entries: list[ImageEntry]
    skipped: list[SkippedFile]


def list_source(source: str | os.PathLike[str]) -> SourceListing:
    """List a folder with the app's own scanner, or read a list of paths (relative to the list)."""
    src = Path(source)
    if src.is_dir():
        root = src.resolve()
        entries, skipped = scan_folder(root)
        return SourceListing(root, entries, skipped)
    if not src.is_file():
        raise FolderError(f"source not found (a folder or a text file of paths): {src}")
    return _from_list_file(src)


def _from_list_file(listing: Path) -> SourceListing:
    """One path per line ('#' comments and blank lines ignored); a missing file is a skipped row."""
    base, now_ns = listing.resolve().parent, time.time_ns()
    entries: dict[str, ImageEntry] = {}
    skipped: list[SkippedFile] = []
    for line in listing.read_text(encoding="utf-8").splitlines():
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        path = os.path.abspath(os.path.join(base, name))
        try:
            st = os.stat(path)
        except OSError as exc:
            skipped.append(SkippedFile(path, f"cannot stat: {exc.strerror or exc}"))
            continue
        if not stat.S_ISREG(st.st_mode):
            skipped.append(SkippedFile(path, "not a regular file"))
            continue
        label = os.path.basename(os.path.dirname(path)) or None
        entries[path] = replace(entry_for("", path, st, now_ns), label=label)  # the folder's identity
    return SourceListing(Path(os.sep), sorted(entries.values(), key=lambda e: e.rel_path), skipped)
