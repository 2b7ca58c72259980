"""The user's "is a match" / "not a match" marks on image pairs, kept per folder outside the folder.

Marks live in the user data directory (never inside the folder, like the embedding cache), one JSON
file per folder. They override the threshold's verdict in every view and feed `lookalike train
--marks` as extra positives and hard negatives. The file format is also the export format.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lookalike.engine.errors import LookalikeError
from lookalike.engine.io.atomic_file import write_atomically
from lookalike.engine.io.output_paths import check_output_path, write_output
from lookalike.engine.io.tabular import csv_text, json_text, read_cell

MARKS_VERSION = 1
MATCH, NOT_MATCH = "match", "not-match"
VERDICTS = (MATCH, NOT_MATCH)
CSV_COLUMNS = ("a", "b", "verdict", "created")
MAX_MARKS_BYTES = 64 * 2**20
FUTURE_SLACK_S = 366 * 24 * 3600.0  # a clock set a little ahead is fine; 1e300 is not


class MarksError(LookalikeError):
    """A marks file that cannot be read or written."""


@dataclass(frozen=True)
class PairMark:
    """One marked pair: two paths relative to the folder (sorted) and the user's verdict."""

    a: str
    b: str
    verdict: str
    created: float

    @property
    def is_match(self) -> bool:
        """True for "is a match", False for "not a match"."""
        return self.verdict == MATCH


def pair_key(a: str, b: str) -> tuple[str, str]:
    """A pair is unordered: (a, b) and (b, a) are the same mark."""
    return (a, b) if a <= b else (b, a)


def default_data_dir() -> Path:
    """The user data directory; LOOKALIKE_DATA_DIR overrides (tests, portable installs)."""
    override = os.environ.get("LOOKALIKE_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("lookalike", appauthor=False))


def marks_path(folder: Path, data_dir: Path | None = None) -> Path:
    """One marks file per folder, named by the hash of its absolute path."""
    key = hashlib.sha256(str(folder.resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return (data_dir or default_data_dir()) / "marks" / f"{key}.json"


class PairMarks:
    """The marks of one folder: mark, unmark, undo, list, save and export."""

    def __init__(self, folder: Path, path: Path | None = None) -> None:
        self.folder = folder.resolve()
        self.path = path or marks_path(self.folder)
        self._marks: dict[tuple[str, str], PairMark] = {}
        self._undo: list[tuple[tuple[str, str], PairMark | None]] = []
        self.dropped: list[str] = []  # why marks of the file were left out (reported by the app)
        if self.path.exists():
            self._marks = {pair_key(m.a, m.b): m for m in read_marks(self.path, self.dropped)}

    def __len__(self) -> int:
        return len(self._marks)

    def verdict(self, a: str, b: str) -> bool | None:
        """True (marked a match), False (marked not a match) or None (not marked)."""
        mark = self._marks.get(pair_key(a, b))
        return None if mark is None else mark.is_match

    def marks(self) -> list[PairMark]:
        """Every mark, oldest first."""
        return sorted(self._marks.values(), key=lambda m: (m.created, m.a, m.b))

    def mark(self, a: str, b: str, is_match: bool) -> PairMark:
        """Mark a pair (replacing an earlier mark of it) and save."""
        if a == b:
            raise MarksError("an image cannot be marked against itself")
        key = pair_key(a, b)
        new = PairMark(key[0], key[1], MATCH if is_match else NOT_MATCH, time.time())
        self._change(key, new)
        return new

    def unmark(self, a: str, b: str) -> None:
        """Forget a pair's mark (no-op when it has none) and save."""
        key = pair_key(a, b)
        if key in self._marks:
            self._change(key, None)

    def undo(self) -> bool:
        """Take back the last mark or unmark of this session; False when there is nothing to undo."""
        if not self._undo:
            return False
        key, previous = self._undo.pop()
        self._set(key, previous)
        self.save()
        return True

    @property
    def can_undo(self) -> bool:
        """True when undo() would change something."""
        return bool(self._undo)

    def save(self) -> None:
        """Write the marks file atomically (the folder itself is never touched)."""
        write_marks(self.path, self.marks(), self.folder)

    def export(self, path: Path) -> None:
        """Write the marks to `path`: CSV when it ends in .csv, else JSON (the train --marks format)."""
        export_marks(path, self.marks(), self.folder)

    def _change(self, key: tuple[str, str], new: PairMark | None) -> None:
        self._undo.append((key, self._marks.get(key)))
        self._set(key, new)
        self.save()

    def _set(self, key: tuple[str, str], mark: PairMark | None) -> None:
        if mark is None:
            self._marks.pop(key, None)
        else:
            self._marks[key] = mark


def write_marks(path: Path, marks: list[PairMark], folder: Path) -> None:
    """Atomic JSON write: {"version", "folder", "marks": [{a, b, verdict, created}]}."""
    data = _marks_json(marks, folder).encode("utf-8")
    try:
        write_atomically(path, lambda fh: fh.write(data), prefix=".marks-", suffix=".tmp")
    except OSError as exc:
        raise MarksError(f"cannot write marks to {path}: {exc.strerror or exc}") from exc


def export_marks(path: Path, marks: list[PairMark], folder: Path) -> None:
    """The marks as CSV (by the suffix) or JSON, through the output guard: never inside the
    folder, atomically, formula-safe (engine.io.tabular)."""
    check_output_path(path, reads=[folder], suffixes=[".csv", ".json"], flag="export", force=True)
    if path.suffix.lower() == ".csv":
        rows = [(m.a, m.b, m.verdict, f"{m.created:.3f}") for m in marks]
        text = csv_text(CSV_COLUMNS, rows)
    else:
        text = _marks_json(marks, folder)
    data = text.encode("utf-8")
    write_output(path, lambda fh: fh.write(data), "export")


def _marks_json(marks: list[PairMark], folder: Path) -> str:
    doc = {"version": MARKS_VERSION, "folder": str(folder), "marks": [asdict(m) for m in marks]}
    return json_text(doc)


def read_marks(path: Path, dropped: list[str] | None = None) -> list[PairMark]:
    """Read a marks file written by write_marks or export_marks (by its suffix).

    A marks file is untrusted input: a mark with a path that is absolute or climbs out of the
    folder (..), an unknown verdict or a time that is not a real date is dropped, and why is
    appended to `dropped` (the caller reports it); a file that is not a marks file at all raises
    MarksError naming it."""
    try:
        if path.stat().st_size > MAX_MARKS_BYTES:
            raise ValueError(f"larger than {MAX_MARKS_BYTES // 2**20} MiB")
        rows = _rows(path)
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise MarksError(f"{path} is not a marks file: {why}") from exc
    marks: list[PairMark] = []
    for n, row in enumerate(rows, start=1):
        try:
            marks.append(mark_of(row))
        except (ValueError, KeyError, TypeError) as exc:
            if dropped is not None:
                dropped.append(f"mark {n}: {exc}")
    return marks


def _rows(path: Path) -> list[Any]:
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8") as fh:
            return [{k: read_cell(v or "") for k, v in row.items() if k} for row in csv.DictReader(fh)]
    rows = json.loads(path.read_text(encoding="utf-8"))["marks"]
    if not isinstance(rows, list):
        raise TypeError("'marks' is not a list")
    return rows


def mark_of(row: Any) -> PairMark:
    """One mark from its stored form, or ValueError saying why it is not one."""
    if not isinstance(row, dict):
        raise TypeError("not an object with a, b and verdict")
    verdict = str(row["verdict"])
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    a, b = pair_key(_inside(row["a"]), _inside(row["b"]))
    if a == b:
        raise ValueError(f"{a!r} is marked against itself")
    created = float(str(row.get("created") or 0.0))
    if not (0.0 <= created <= time.time() + FUTURE_SLACK_S):  # NaN fails this too
        raise ValueError(f"created {created!r} is not a time")
    return PairMark(a, b, verdict, created)


def _inside(value: object) -> str:
    """A path relative to the folder that stays inside it (no /x, C:\\x, .. or NUL)."""
    if not isinstance(value, str) or not value:
        raise ValueError("a path is missing")
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts or "\0" in value:
        raise ValueError(f"{value!r} is not a path inside the folder")
    return value
