"""Keep the embedding cache bounded: a size cap with least-recently-used pruning, info and clear.

One cache file exists per (folder, model); without pruning, every folder ever opened with every
model version stays forever. Use is recorded in the file's access time, set explicitly (so it
works on noatime mounts) and without touching its mtime (an unchanged re-scan never rewrites).
Only files named as the cache names them are ever counted or removed: LOOKALIKE_CACHE_DIR may
point at a folder that holds other things.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_MB = 1024
MAX_MB_VARIABLE = "LOOKALIKE_CACHE_MAX_MB"
_CACHE_NAME = re.compile(r"[0-9a-f]{24}-[0-9a-f]{16}\.npz")
_TEMP_NAME = re.compile(r"\.tmp-[0-9a-f]{24}-[0-9a-f]{16}-.*\.npz")


@dataclass(frozen=True)
class CacheInfo:
    """What `lookalike cache --info` reports."""

    directory: Path
    files: int
    total_bytes: int
    max_bytes: int


def max_cache_bytes() -> int:
    """The cap: $LOOKALIKE_CACHE_MAX_MB megabytes, else 1 GiB; a bad value falls back to the default."""
    text = os.environ.get(MAX_MB_VARIABLE, "")
    try:
        mb = float(text) if text else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    if not mb >= 0 or mb == float("inf"):
        mb = DEFAULT_MAX_MB
    return int(mb * 1024 * 1024)


def cache_files(cache_dir: Path) -> list[Path]:
    """The cache's own files (not temp files, not anything else in the directory)."""
    return [p for p in _listing(cache_dir) if _CACHE_NAME.fullmatch(p.name)]


def _listing(cache_dir: Path) -> list[Path]:
    try:
        return sorted(p for p in cache_dir.iterdir() if p.is_file() and not p.is_symlink())
    except OSError:
        return []


def cache_info(cache_dir: Path) -> CacheInfo:
    """Count and size of the cache files, and the cap."""
    sizes = [_size(p) for p in cache_files(cache_dir)]
    return CacheInfo(cache_dir, len(sizes), sum(sizes), max_cache_bytes())


def clear_cache(cache_dir: Path) -> int:
    """Remove every cache file and temp file (never other files); returns how many were removed."""
    removed = 0
    for path in _listing(cache_dir):
        if _CACHE_NAME.fullmatch(path.name) or _TEMP_NAME.fullmatch(path.name):
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                continue
    return removed


def mark_used(path: Path) -> None:
    """Record a use in the access time (mtime untouched); a read-only cache just is not marked."""
    with contextlib.suppress(OSError):
        os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns))


def prune_cache(cache_dir: Path, keep: Path, max_bytes: int | None = None) -> list[Path]:
    """Remove least recently used cache files until the total fits the cap; `keep` is never removed."""
    limit = max_cache_bytes() if max_bytes is None else max_bytes
    files = [(p, _stat(p)) for p in cache_files(cache_dir)]
    present = [(p, st) for p, st in files if st is not None]
    total = sum(st.st_size for _, st in present)
    removed: list[Path] = []
    for path, st in sorted(present, key=lambda item: item[1].st_atime_ns):
        if total <= limit:
            break
        if path.name == keep.name:
            continue
        try:
            path.unlink()
        except OSError:
            continue
        total -= st.st_size
        removed.append(path)
    return removed


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


def _size(path: Path) -> int:
    st = _stat(path)
    return 0 if st is None else st.st_size
