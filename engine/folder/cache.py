"""Per-(folder, model) embedding cache in the user's cache directory, written atomically.

Keyed by relative path + size + mtime + ctime + inode (+ a content digest for files with future
timestamps; see folder_scan.entry_for), under a file named for the folder and the hash of the model
bytes that were loaded, so a changed file or another model is never served a stale vector. A
corrupt or foreign cache file is detected, reported and rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.folder.scan import FileKey
from lookalike.engine.io.atomic_file import write_atomically

CACHE_VERSION = 2
# Integer columns of the key, in FileKey order; inode numbers may use all 64 bits.
_KEY_ARRAYS = {"sizes": np.int64, "mtimes": np.int64, "ctimes": np.int64, "inodes": np.uint64}


@dataclass
class CachedVectors:
    """What a cache file holds: vectors by file key (folder_scan.FileKey)."""

    keys: dict[FileKey, int] = field(default_factory=dict)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    notice: str | None = None

    def get(self, key: FileKey) -> np.ndarray | None:
        """The cached vector for this exact file version, or None."""
        row = self.keys.get(key)
        return None if row is None else self.vectors[row]


def default_cache_dir() -> Path:
    """The user cache directory (never inside the user's folder); LOOKALIKE_CACHE_DIR overrides."""
    override = os.environ.get("LOOKALIKE_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("lookalike", appauthor=False))


def cache_path(cache_dir: Path, folder: Path, model_sha256: str) -> Path:
    """One file per (folder, model): both hashed into the name."""
    folder_key = hashlib.sha256(str(folder.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
    return cache_dir / f"{folder_key[:24]}-{model_sha256[:16]}.npz"


def load_cache(path: Path, dim: int, model_sha256: str) -> CachedVectors:
    """Read a cache file; anything wrong with it yields an empty cache and a notice, never a crash."""
    if not path.exists():
        return CachedVectors(vectors=np.zeros((0, dim), dtype=np.float32))
    try:
        # Our own handle: np.load leaks the one it opens when the zip is damaged (BadZipFile).
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            version = int(data["version"])
            model = str(data["model_sha256"])
            _check_version(version)
            paths = [str(p) for p in data["paths"]]
            ints = [data[name].astype(dtype).tolist() for name, dtype in _KEY_ARRAYS.items()]
            digests = [str(d) for d in data["digests"]]
            vectors = np.asarray(data["vectors"], dtype=np.float32)
        lengths = (len(paths), len(digests), *(len(a) for a in ints))
        _validate(model, model_sha256, vectors, dim, *lengths)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, _StaleCacheError) as exc:
        return CachedVectors(
            vectors=np.zeros((0, dim), dtype=np.float32),
            notice=f"embedding cache was unusable ({exc}); rebuilding it",
        )
    if len(paths) == 0:
        return CachedVectors(vectors=np.zeros((0, dim), dtype=np.float32))
    keys = {key: i for i, key in enumerate(zip(paths, *ints, digests, strict=True))}
    return CachedVectors(keys=keys, vectors=vectors)


class _StaleCacheError(Exception):
    pass


def _check_version(version: int) -> None:
    if version != CACHE_VERSION:
        raise _StaleCacheError(f"cache format {version}, expected {CACHE_VERSION}")


def _validate(model: str, want_model: str, vectors: np.ndarray, dim: int, *lengths: int) -> None:
    if model != want_model:
        raise _StaleCacheError("cache belongs to another model")
    if vectors.shape == (0, 0) and set(lengths) == {0}:
        return  # an empty folder's cache: nothing to check
    if vectors.ndim != 2 or vectors.shape[1] != dim or len(set(lengths)) != 1:
        raise _StaleCacheError("cache arrays are inconsistent")
    if vectors.shape[0] != lengths[0] or not np.isfinite(vectors).all():
        raise _StaleCacheError("cache arrays are inconsistent")


def save_cache(path: Path, model_sha256: str, keys: list[FileKey], vectors: np.ndarray) -> str | None:
    """Write the cache atomically; a disk that refuses (full, read-only) gives a notice, not a crash."""
    columns: list[tuple[Any, ...]] = list(zip(*keys, strict=True)) if keys else [() for _ in range(6)]
    arrays: dict[str, Any] = {
        "version": np.int64(CACHE_VERSION),
        "model_sha256": np.str_(model_sha256),
        "paths": np.asarray(columns[0], dtype=np.str_),
        **{
            name: np.asarray(col, dtype=dtype)
            for (name, dtype), col in zip(_KEY_ARRAYS.items(), columns[1:5], strict=True)
        },
        "digests": np.asarray(columns[5], dtype=np.str_),
        "vectors": np.asarray(vectors, dtype=np.float32),
    }
    try:
        _write_atomically(path, arrays)
    except OSError as exc:
        return f"could not save the embedding cache ({exc.strerror or exc}): the next scan embeds again"
    return None


def _write_atomically(path: Path, arrays: dict[str, Any]) -> None:
    """Replace the cache file whole (engine.io.atomic_file), after clearing a killed writer's temps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_orphaned_temps(path)
    prefix = f"{_temp_prefix(path)}{os.getpid()}-"
    write_atomically(path, lambda fh: np.savez(fh, **arrays), prefix=prefix, suffix=".npz")


ORPHAN_AGE_SECONDS = 3600.0


def _temp_prefix(path: Path) -> str:
    return f".tmp-{path.stem}-"


def remove_orphaned_temps(path: Path) -> None:
    """Delete temp files a killed writer of this cache left behind (its pid is gone, or it is old)."""
    prefix = _temp_prefix(path)
    for tmp in path.parent.glob(f"{prefix}*.npz"):
        pid_text = tmp.name[len(prefix) :].split("-", 1)[0]
        pid = int(pid_text) if pid_text.isdigit() else -1
        try:
            age = time.time() - tmp.stat().st_mtime
            if pid != os.getpid() and (not _alive(pid) or age > ORPHAN_AGE_SECONDS):
                tmp.unlink()
        except OSError:
            continue  # another process cleaned it first, or it is not ours to remove


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (POSIX only; elsewhere only age decides)."""
    if pid <= 0:
        return False
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
