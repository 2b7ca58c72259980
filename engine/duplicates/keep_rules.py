"""Which image of a duplicate group to keep: the largest, the newest, or the one at the shortest path.

The facts each rule reads (bytes, pixels, modification time) come from the file system and the
image header only, so listing a large folder's groups never decodes an image. A symbolic link is
never proposed to keep while a real file of the group exists: a link and its target are one picture.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lookalike.engine.folder.scan import FileKey, entry_for
from PIL import Image, UnidentifiedImageError

KeepRule = Literal["largest", "newest", "shortest-path"]
KEEP_RULES: tuple[KeepRule, ...] = ("largest", "newest", "shortest-path")
RULE_NAMES: dict[KeepRule, str] = {
    "largest": "Largest (most pixels, then bytes)",
    "newest": "Newest (last modified)",
    "shortest-path": "Shortest path",
}


@dataclass(frozen=True)
class FileFacts:
    """What the Duplicates view shows per image and what the keep rules compare."""

    rel_path: str
    bytes: int
    width: int
    height: int
    modified: float  # seconds since the epoch (mtime)
    identity: FileKey | None = None  # as the embedding cache compares it, when the file was listed
    link_to: str | None = None  # a symbolic link's target: folder-relative when inside, else absolute
    real: str = ""  # the resolved path: a link and its target share it

    @property
    def pixels(self) -> int:
        """Width × height (0 when the header could not be read)."""
        return self.width * self.height

    @property
    def modified_iso(self) -> str:
        """Modification time as an ISO 8601 string in UTC (for listings and exports)."""
        return dt.datetime.fromtimestamp(self.modified, dt.UTC).isoformat(timespec="seconds")


def file_facts(folder: Path, rel_path: str) -> FileFacts:
    """Size, dimensions (from the header only) and modification time of one image of the folder."""
    path = folder / rel_path
    st = os.stat(path)
    try:
        with Image.open(path) as img:
            width, height = img.size
    except (OSError, UnidentifiedImageError, ValueError):
        width = height = 0
    identity = entry_for(str(folder), rel_path, st, time.time_ns()).key
    real = os.path.realpath(path)
    link_to = _shown_target(folder, real) if os.path.islink(path) else None
    return FileFacts(rel_path, st.st_size, width, height, st.st_mtime, identity, link_to, real)


def _shown_target(folder: Path, real: str) -> str:
    """Where a link leads, as the listing shows it: relative to the folder when inside it."""
    home = os.path.realpath(folder)
    if real.startswith(home.rstrip(os.sep) + os.sep):
        return real[len(home.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
    return real


def _key(rule: KeepRule) -> Callable[[FileFacts], tuple[object, ...]]:
    """A sort key whose smallest value is the image to keep; ties end on the path, so it is stable.
    Real files come before links whatever the rule."""
    if rule == "largest":
        return lambda f: (f.link_to is not None, -f.pixels, -f.bytes, len(f.rel_path), f.rel_path)
    if rule == "newest":
        return lambda f: (f.link_to is not None, -f.modified, len(f.rel_path), f.rel_path)
    if rule == "shortest-path":
        return lambda f: (f.link_to is not None, len(f.rel_path), f.rel_path)
    raise ValueError(f"unknown keep rule {rule!r}; expected one of {KEEP_RULES}")


def keep_index(group: Sequence[FileFacts], rule: KeepRule) -> int:
    """Index in `group` of the image the rule proposes to keep (the others are proposed to go)."""
    key = _key(rule)
    return min(range(len(group)), key=lambda i: key(group[i]))
