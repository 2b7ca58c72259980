"""Terminal output shared by CLI commands: progress on stderr, JSON on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

from lookalike.engine.folder.scan import SkippedFile


def progress_printer(label: str) -> Callable[[int, int], None] | None:
    """A progress callback drawing tqdm's bar on stderr (count, rate, ETA, fitted to the terminal's
    width), or None when stderr is not a terminal: a log or a pipe gets no carriage returns."""
    if not sys.stderr.isatty():
        return None
    bars: list[tqdm] = []
    # Block characters only where the terminal can encode them (tqdm stops writing on an error).
    encoding = (getattr(sys.stderr, "encoding", None) or "").lower().replace("-", "")
    ascii_only = not encoding.startswith("utf8")

    def show(done: int, total: int) -> None:
        if not bars:
            options: dict[str, Any] = {"unit": "img", "mininterval": 0.1, "dynamic_ncols": True}
            bars.append(tqdm(total=total, desc=label, file=sys.stderr, ascii=ascii_only, **options))
        bar = bars[0]
        bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

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
    """One JSON object on stdout (NaN refused so consumers always get valid JSON), the text as
    json.dumps makes it but written as it is encoded (json.dump): `neighbours --json` of 100,000
    images holds a million answers, and their text (with json.dumps' list of pieces) was ~0.4 GB
    more at once."""
    json.dump(obj, sys.stdout, indent=2, sort_keys=True, allow_nan=False, default=_default)
    sys.stdout.write("\n")


def _default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")
