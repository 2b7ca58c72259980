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
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from lookalike.engine.errors import LookalikeError

MARKS_VERSION = 1
MATCH, NOT_MATCH = "match", "not-match"
VERDICTS = (MATCH, NOT_MATCH)


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
        if self.path.exists():
            self._marks = {pair_key(m.a, m.b): m for m in read_marks(self.path)}

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
        if path.suffix.lower() == ".csv":
            export_csv(path, self.marks())
        else:
            write_marks(path, self.marks(), self.folder)

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
    doc = {"version": MARKS_VERSION, "folder": str(folder), "marks": [asdict(m) for m in marks]}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".marks-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1)
        os.replace(tmp, path)
    except OSError as exc:
        raise MarksError(f"cannot write marks to {path}: {exc.strerror or exc}") from exc


def read_marks(path: Path) -> list[PairMark]:
    """Read a marks file written by write_marks or export_csv (by its suffix)."""
    try:
        if path.suffix.lower() == ".csv":
            with open(path, newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        else:
            rows = json.loads(path.read_text(encoding="utf-8"))["marks"]
        return [_mark_of(row) for row in rows]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MarksError(f"{path} is not a marks file: {exc}") from exc


def _mark_of(row: dict[str, object]) -> PairMark:
    verdict = str(row["verdict"])
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    a, b = pair_key(str(row["a"]), str(row["b"]))
    return PairMark(a, b, verdict, float(str(row.get("created") or 0.0)))


def export_csv(path: Path, marks: list[PairMark]) -> None:
    """CSV with a header a,b,verdict,created (spreadsheets; read back by read_marks)."""
    try:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["a", "b", "verdict", "created"])
            writer.writerows([m.a, m.b, m.verdict, f"{m.created:.3f}"] for m in marks)
    except OSError as exc:
        raise MarksError(f"cannot write {path}: {exc.strerror or exc}") from exc
