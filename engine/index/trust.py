"""An index opened from disk is untrusted input: its rows may only name images of its own folder.

`index.json` names the folder (`root`) and the shards name files below it; both are plain text a
hostile or damaged index can set to anything (`root` pointing at the home folder, a row
`../../etc/passwd` or `Documents/thesis.docx`). Before the app shows, and so could move, any of
them: every row must be a clean image path that resolves inside the root, the root must be the
folder the index was built from, and files the index recorded must really be there (sampled rows
must match the size and mtime recorded at build time: a crafted index cannot know them).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lookalike.engine.images.loading import IMAGE_SUFFIXES, is_image_name
from lookalike.engine.index.manifest import MANIFEST_NAME, IndexFolderError, IndexManifest

IDENTITY_SAMPLE = 32
# In rows joined (and framed) by NUL: a "." or ".." part, a leading "/", an empty part or row, a "\\".
_DOT_PARTS = tuple(f"{a}{dots}{b}" for dots in (".", "..") for a in ("/", "\0") for b in ("/", "\0"))
_BAD_PARTS = (*_DOT_PARTS, "\0/", "//", "/\0", "\0\0", "\\")
_BAD_ABSOLUTE = ("/./", "/../", "//", "/\0", "/.\0", "/..\0", "\0\0")  # rows of a list-file index
# Counting ".jpg<NUL>" per suffix counts each row once only if no suffix ends with another.
_SUFFIXES_DISJOINT = not any(a != b and a.endswith(b) for a in IMAGE_SUFFIXES for b in IMAGE_SUFFIXES)
LIST_ROOT = os.sep  # an index of a list file: absolute paths below the file system root


def check_root(index_dir: Path, manifest: IndexManifest) -> Path:
    """The folder the index's images are in, once it is plausibly the one it was built from."""
    where = index_dir / MANIFEST_NAME
    root = manifest.root
    if not os.path.isabs(root) or os.path.normpath(root) != root:
        raise IndexFolderError(f"{where}: its image folder {root!r} is not an absolute path; refusing it")
    if root != LIST_ROOT and manifest.source != root:
        raise IndexFolderError(
            f"{where}: built from {manifest.source!r} but says its images are in {root!r}; refusing it "
            "(build the index again with `lookalike index`)"
        )
    if not os.path.isdir(root):
        raise IndexFolderError(f"{where}: its image folder {root} is not there (moved or unmounted?)")
    return Path(root)


def check_rows(index_dir: Path, root: Path, paths: Sequence[str]) -> None:
    """Refuse an index with any row that is not a clean image path inside its root."""
    bad = [] if _all_clean(root, paths) else [p for p in paths if not _clean(root, p)]
    home = os.path.realpath(root)
    parents = {p.rpartition("/")[0] for p in paths} - {""}
    bad += [p for p in sorted(parents) if not _inside(os.path.realpath(root / p), home)]
    if bad:
        raise IndexFolderError(
            f"the index {index_dir} names {len(bad)} path(s) that are not images inside {root} "
            f"(first: {bad[0]!r}); refusing it (build the index again with `lookalike index`)"
        )


def _all_clean(root: Path, paths: Sequence[str]) -> bool:
    """The whole column at once, by substring counts on the joined rows (a million rows in about a
    second on a busy core, against three row by row); False means "look at each row"."""
    if not paths:
        return True
    joined = "\0" + "\0".join(paths) + "\0"
    if joined.count("\0") != len(paths) + 1:
        return False
    if str(root) == LIST_ROOT:
        starts = os.sep == "/" and joined.count("\0/") == len(paths)
        if not starts or any(part in joined for part in _BAD_ABSOLUTE):
            return False
    elif any(part in joined for part in _BAD_PARTS):
        return False
    lower = joined.lower()
    return _SUFFIXES_DISJOINT and sum(lower.count(f"{s}\0") for s in IMAGE_SUFFIXES) == len(paths)


def check_identity(index_dir: Path, root: Path, rows: dict[str, list]) -> None:
    """Refuse an index none of whose sampled rows matches its file on disk (size and mtime)."""
    n = len(rows["path"])
    if n == 0:
        return
    picks = sorted({i * n // min(n, IDENTITY_SAMPLE) for i in range(min(n, IDENTITY_SAMPLE))})
    for i in picks:
        try:
            st = os.stat(root / rows["path"][i])
        except OSError:
            continue
        if (st.st_size, st.st_mtime_ns) == (rows["size"][i], rows["mtime"][i]):
            return
    raise IndexFolderError(
        f"the index {index_dir} says its images are in {root}, but none of the {len(picks)} files checked "
        "there is the file it indexed: it was not built from that folder (or the folder was replaced); "
        "refusing it (build the index again with `lookalike index`)"
    )


def _clean(root: Path, path: str) -> bool:
    if not path or "\0" in path or not is_image_name(path):
        return False
    if str(root) == LIST_ROOT:
        return os.path.isabs(path) and os.path.normpath(path) == path and "//" not in path
    parts = path.split("/")
    return not path.startswith("/") and "\\" not in path and not {".", "..", ""} & set(parts)


def _inside(path: str, home: str) -> bool:
    return path == home or path.startswith(home.rstrip(os.sep) + os.sep)
