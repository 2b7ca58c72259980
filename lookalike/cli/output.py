"""Terminal output shared by CLI commands: progress on stderr, JSON on stdout."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from lookalike.engine.folder.scan import SkippedFile


def progress_printer(label: str) -> Callable[[int, int], None] | None:
    """A progress callback drawing one updating line on stderr, or None when not a terminal."""
    if not sys.stderr.isatty():
        return None
    start = time.monotonic()
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and done < total:
            return
        last[0] = now
        rate = done / max(now - start, 1e-6)
        eta = (total - done) / rate if rate > 0 and done else 0.0
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{label}: {done}/{total}  {rate:,.0f}/s  ETA {eta:,.0f}s  {end}")
        sys.stderr.flush()

    return show


def shown(name: str) -> str:
    """A file name as one printable line: newlines, control characters and undecodable bytes escaped."""
    return name if name.isprintable() else repr(name)[1:-1]


def info(message: str) -> None:
    """A human line on stderr (stdout is kept for results)."""
    print(message, file=sys.stderr)


def report_skipped(skipped: list[SkippedFile]) -> None:
    """Every skipped file with its reason, on stderr."""
    if skipped:
        info(f"skipped {len(skipped)} file(s):")
    for s in skipped:
        info(f"  {s.path!r}: {s.reason}")


def skipped_json(skipped: list[SkippedFile]) -> list[dict[str, str]]:
    """Skipped files as JSON records."""
    return [{"path": s.path, "reason": s.reason} for s in skipped]


def print_json(obj: dict[str, Any]) -> None:
    """One JSON object on stdout (NaN refused so consumers always get valid JSON)."""
    print(json.dumps(obj, indent=2, sort_keys=True, allow_nan=False, default=_default))


def _default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")
