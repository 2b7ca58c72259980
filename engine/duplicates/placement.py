"""Put one file at a new name without ever replacing what is there, also across file systems.

A hard link makes the new name appear, or fail, atomically and never replaces a file. Where the two
names lie on different file systems the file is copied to a hidden temp name beside the target,
synced, linked into place, and only then is the original removed: a failure at any step removes
the copy, so the file is afterwards at exactly one of the two names, never half at either.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from pathlib import Path

# File systems without hard links (FAT, some network shares) answer with one of these.
NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


def place_file(src: Path, target: Path) -> None:
    """Move `src` to `target`; FileExistsError when `target` exists (it is never replaced)."""
    try:
        _new_name(src, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        _copy_across(src, target)
        return
    _drop(src, target)


def _new_name(src: Path, target: Path) -> None:
    """Give `src` the second name `target` (both exist afterwards), or rename where links cannot be."""
    try:
        os.link(src, target, follow_symlinks=False)
        return
    except NotImplementedError:
        pass  # this platform cannot link a symbolic link itself
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, "a file of that name exists", str(target))
    os.rename(src, target)


def _drop(src: Path, target: Path) -> None:
    """Remove the old name; if that fails, remove the new one, so the move did not happen at all."""
    if not os.path.lexists(src):
        return  # renamed, not linked
    try:
        os.unlink(src)
    except OSError:
        os.unlink(target)
        raise


def _copy_across(src: Path, target: Path) -> None:
    """Copy to a temp name beside the target, sync, name it, then remove the original."""
    tmp = target.with_name(f".{target.name}.lookalike-{uuid.uuid4().hex[:8]}.part")
    try:
        if os.path.islink(src):
            os.symlink(os.readlink(src), tmp)
        else:
            shutil.copy2(src, tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        _new_name(tmp, target)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    _drop(src, target)
