"""The files a training run writes into RUN, how each is recognised as ours, and how it is written.

`lookalike train DATA --out RUN` never replaces a file in RUN that is not an earlier Lookalike
output of the same name unless the user says --force (the rule every command keeps), and every
run file is replaced atomically, so a kill leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lookalike.engine.io.atomic_file import write_atomically
from lookalike.engine.io.output_paths import check_run_folder, is_lookalike_onnx

CONFIG_KEYS = {"data", "out", "backbone", "mining", "margin", "dim"}
SPLIT_KEYS = {"train", "val", "seed"}


def _json(path: Path) -> Any:
    try:
        if path.stat().st_size > 64 * 1024 * 1024:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def _is_config(path: Path) -> bool:
    raw = _json(path)
    return isinstance(raw, dict) and raw.keys() >= CONFIG_KEYS


def _is_split(path: Path) -> bool:
    raw = _json(path)
    return isinstance(raw, dict) and raw.keys() == SPLIT_KEYS


def _is_metrics(path: Path) -> bool:
    raw = _json(path)
    return isinstance(raw, list) and all(isinstance(r, dict) and "epoch" in r for r in raw)


def _is_checkpoint(path: Path) -> bool:
    from lookalike.train.loop.checkpoint import load_checkpoint

    try:
        load_checkpoint(path)
    except ValueError:
        return False
    return True


def _is_trunk(path: Path) -> bool:
    """The frozen trunk's ONNX file: a graph whose outputs are named feature_map and tap."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024 * 1024)
        return head.startswith(b"\x08") and b"feature_map" in head
    except OSError:
        return False


RUN_FILES: dict[str, Callable[[Path], bool]] = {
    "config.json": _is_config,
    "split.json": _is_split,
    "metrics.json": _is_metrics,
    "last.pt": _is_checkpoint,
    "best.pt": _is_checkpoint,
    "trunk.onnx": _is_trunk,
    "model.onnx": is_lookalike_onnx,
    "model.int8.onnx": is_lookalike_onnx,
}


def check_run_out(out: Path, reads: Sequence[Path], force: bool = False) -> Path:
    """Refuse RUN when it is inside DATA or holds a user's file under a run file's name."""
    return check_run_folder(out, reads=reads, flag="--out", owned=RUN_FILES, force=force)


def part_prefix(path: Path) -> str:
    """The hidden temp-file prefix of a run file while it is written (see remove_stale_parts)."""
    return f".{path.name}."


def write_run_file(path: Path, write: Callable[[Any], object]) -> None:
    """Replace a run file atomically (hidden temp file in RUN, fsync, rename)."""
    write_atomically(path, write, prefix=part_prefix(path), suffix=".part")


def write_run_text(path: Path, text: str) -> None:
    """write_run_file for a text file."""
    data = text.encode("utf-8")
    write_run_file(path, lambda fh: fh.write(data))


def remove_stale_parts(out: Path) -> list[Path]:
    """Temp files a killed run left behind (kill -9 leaves them); only our own names are removed
    (NAME.tmp is what checkpoints were written through before .NAME.*.part)."""
    removed: list[Path] = []
    for name in RUN_FILES:
        legacy = [out / f"{name}.tmp"] if name.endswith(".pt") else []
        for part in [*out.glob(f"{part_prefix(Path(name))}*.part"), *legacy]:
            if part.is_file() and not part.is_symlink():
                part.unlink(missing_ok=True)
                removed.append(part)
    return removed
