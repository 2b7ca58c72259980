"""The open folder's pair marks for every view: mark, unmark, undo, and a `changed` signal.

Views (neighbours, compare, duplicates) call `mark(a, b, is_match)` with paths relative to the
folder (FolderEmbeddings.paths) and ask `verdict(a, b)`; they redraw on `changed`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.teaching.pair_marks import PairMark, PairMarks
from lookalike.gui.state.session import Session
from PySide6.QtCore import QObject, Signal


class PairMarksModel(QObject):
    """Holds the engine's PairMarks of the session's folder; every change is saved at once."""

    changed = Signal()
    failed = Signal(str, str)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.store: PairMarks | None = None
        session.folder_changed.connect(self._folder_changed)

    @property
    def folder(self) -> Path | None:
        """The folder whose marks are held."""
        return None if self.store is None else self.store.folder

    def verdict(self, a: str, b: str) -> bool | None:
        """True = marked a match, False = marked not a match, None = not marked."""
        return None if self.store is None else self.store.verdict(a, b)

    def marks(self) -> list[PairMark]:
        """Every mark of the folder, oldest first."""
        return [] if self.store is None else self.store.marks()

    def mark(self, a: str, b: str, is_match: bool) -> None:
        """Mark a pair of the open folder."""
        self._do(lambda s: s.mark(a, b, is_match))

    def unmark(self, a: str, b: str) -> None:
        """Forget a pair's mark."""
        self._do(lambda s: s.unmark(a, b))

    def undo(self) -> None:
        """Take back the last change."""
        self._do(lambda s: s.undo())

    def export(self, path: Path) -> None:
        """Write the marks as JSON or CSV (by suffix)."""
        self._do(lambda s: s.export(path), notify=False)

    def _do(self, action: Callable[[PairMarks], object], notify: bool = True) -> None:
        if self.store is None:
            self.failed.emit("Marks", "Open a folder first: marks belong to a folder.")
            return
        try:
            action(self.store)
        except Exception as exc:  # the store raises MarksError / OSError with a user message
            self.failed.emit("Marks", str(exc))
            return
        if notify:
            self.changed.emit()

    def _folder_changed(self, emb: FolderEmbeddings | None) -> None:
        folder = emb.folder.resolve() if emb is not None else None
        if folder is None or folder == self.folder:
            return
        try:
            self.store = PairMarks(folder)
        except Exception as exc:
            self.store = None
            self.failed.emit("Marks", f"cannot read the marks of {folder.name}: {exc}")
        if self.store is not None and self.store.dropped:
            dropped = self.store.dropped
            self.failed.emit("Marks", f"Left out {len(dropped)} bad mark(s) of {folder.name} ({dropped[0]})")
        self.changed.emit()
