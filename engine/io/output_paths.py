"""The one guard every command that writes a file goes through, and the atomic write itself.

Rules, whatever the flag: an output never replaces an input file, never lands inside a folder
being read, never replaces a file that is not an earlier output of the same kind unless the user
says --force, and always has the suffix its format needs (so `--out x.png` is refused instead of
silently becoming x.png.npz). Missing parent folders are created; when that is impossible the
message names the folder. Every failure is one LookalikeError sentence.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from lookalike.engine.errors import LookalikeError


class OutputPathError(LookalikeError):
    """An output path that would destroy or pollute the user's files, or cannot be written."""


def check_output_path(
    path: Path,
    *,
    reads: Sequence[Path],
    suffixes: Sequence[str],
    flag: str,
    force: bool = False,
    is_ours: Callable[[Path], bool] | None = None,
) -> Path:
    """Refuse a dangerous output path before any work is done; returns it with parents created."""
    if path.suffix.lower() not in suffixes:
        raise OutputPathError(f"{flag} {_shown(path)}: the file must end in {' or '.join(suffixes)}")
    real = Path(os.path.realpath(path))
    for source in reads:
        _refuse_overlap(path, real, source, flag)
    if real.is_dir():
        raise OutputPathError(f"{flag} {_shown(path)} is a folder; give a file name")
    if real.exists() and not force and not (is_ours is not None and is_ours(real)):
        raise OutputPathError(
            f"{flag} {_shown(path)} already exists and is not an earlier Lookalike output; "
            "choose another name, or add --force to replace it"
        )
    make_parent(real, flag)
    return path


def check_output_folder(path: Path, *, reads: Sequence[Path], flag: str) -> Path:
    """The same rules for a command that writes a folder of outputs (a training run)."""
    real = Path(os.path.realpath(path))
    for source in reads:
        _refuse_overlap(path, real, source, flag)
    if real.exists() and not real.is_dir():
        raise OutputPathError(f"{flag} {_shown(path)} is a file, not a folder")
    return path


def check_run_folder(
    path: Path,
    *,
    reads: Sequence[Path],
    flag: str,
    owned: Mapping[str, Callable[[Path], bool]],
    force: bool = False,
) -> Path:
    """A folder a command fills with named files (a training run): each name already there must be
    an earlier Lookalike output of its kind (owned[name] says), or the user says --force."""
    check_output_folder(path, reads=reads, flag=flag)
    real = Path(os.path.realpath(path))
    for name, is_ours in owned.items():
        target = real / name
        if force or not (target.exists() or target.is_symlink()):
            continue
        if target.is_dir() or target.is_symlink() or not is_ours(target):
            raise OutputPathError(
                f"{flag} {_shown(path)} already holds {name}, which is not an earlier Lookalike output; "
                "choose another folder, or add --force to replace it"
            )
    return path


def _refuse_overlap(path: Path, real: Path, source: Path, flag: str) -> None:
    src = Path(os.path.realpath(source))
    if src == real or (real.exists() and src.exists() and _same_file(real, src)):
        raise OutputPathError(f"{flag} {_shown(path)} is an input of this command; it is never overwritten")
    if src.is_dir() and (src == real or src in real.parents):
        raise OutputPathError(
            f"{flag} {_shown(path)} is inside the folder being read ({_shown(source)}); "
            "Lookalike never writes there: choose a path outside it"
        )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def make_parent(path: Path, flag: str) -> None:
    """Create the missing parent folders, or name the one that cannot be created."""
    parent = path.parent
    if parent.is_dir():
        return
    missing = parent
    while not missing.parent.exists() and missing.parent != missing:
        missing = missing.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(
            f"{flag}: cannot create the folder {_shown(missing)} ({exc.strerror or exc})"
        ) from exc


def write_output(path: Path, write: Callable[[BinaryIO], object], flag: str) -> None:
    """Write through a temp file in the same folder, then rename: a failure leaves no half file."""
    real = Path(os.path.realpath(path))
    try:
        make_parent(real, flag)
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".part", dir=real.parent)
    except OSError as exc:
        raise OutputPathError(f"{flag} {_shown(path)}: cannot write there ({exc.strerror or exc})") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 is for secrets; this is a file the user shares
        os.replace(tmp, real)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputPathError(f"{flag} {_shown(path)}: cannot write it ({exc.strerror or exc})") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


HTML_MARKER = '<meta name="generator" content="lookalike">'


def is_lookalike_html(path: Path) -> bool:
    """A page `lookalike map` wrote (it carries HTML_MARKER near the top)."""
    return HTML_MARKER.encode() in _head(path, 4096)


def is_lookalike_npz(path: Path) -> bool:
    """An archive `lookalike embed --out` wrote: exactly paths, labels and vectors."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return set(archive.namelist()) == {"paths.npy", "labels.npy", "vectors.npy"}
    except (OSError, zipfile.BadZipFile):
        return False


def is_lookalike_onnx(path: Path) -> bool:
    """A model Lookalike exported: it carries the manifest metadata key."""
    from lookalike.engine.model.manifest import METADATA_KEY

    return METADATA_KEY.encode() in _head(path, 64 * 1024 * 1024)


def _head(path: Path, limit: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit)
    except OSError:
        return b""


def _shown(path: Path) -> str:
    text = os.fspath(path)
    return text if text.isprintable() else repr(text)[1:-1]
