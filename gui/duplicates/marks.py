"""Pair marks from the Duplicates view: mark an image against its group's kept image, and see the marks."""

from __future__ import annotations

from collections.abc import Callable

from lookalike.gui.duplicates.rows_model import COLUMNS, MARK_COLUMN, MARK_TEXT
from lookalike.gui.duplicates.view import DuplicatesView
from lookalike.gui.teaching.pair_marks_model import PairMarksModel
from PySide6.QtCore import QModelIndex, QObject
from PySide6.QtWidgets import QMenu


def duplicate_pair(view: DuplicatesView, index: QModelIndex) -> tuple[str, str] | None:
    """(kept image, this image) as folder-relative paths, for an image row that is not the kept one."""
    listing = view.rows.listing
    if listing is None or not index.isValid():
        return None
    g, i = view.rows.place(index.row())
    if i < 0:  # a group's header row
        return None
    group = listing.groups[g]
    rel, kept = group.files[i].rel_path, group.files[group.keep].rel_path
    return None if rel == kept else (kept, rel)


def duplicate_mark_actions(
    marks: PairMarksModel, view: DuplicatesView
) -> Callable[[QMenu, QModelIndex], None]:
    """The context-menu hook (ImageActions.register's `extra`) for the Duplicates table."""

    def extra(menu: QMenu, index: QModelIndex) -> None:
        pair = duplicate_pair(view, index)
        if pair is None:
            return
        menu.addSeparator()
        for text, verdict in (
            ("Is a match with the kept image", True),
            ("Not a match with the kept image", False),
            ("Clear mark", None),
        ):
            action = menu.addAction(text)
            action.setCheckable(verdict is not None)
            action.setChecked(verdict is not None and marks.verdict(*pair) is verdict)
            action.triggered.connect(lambda _=False, v=verdict, p=pair: _mark(marks, p, v))

    return extra


def _mark(marks: PairMarksModel, pair: tuple[str, str], verdict: bool | None) -> None:
    if verdict is None:
        marks.unmark(*pair)
    else:
        marks.mark(*pair, verdict)


class DuplicateMarksShown(QObject):
    """Shows each image's mark against its group's kept image in the table, kept current as marks change."""

    def __init__(self, marks: PairMarksModel, view: DuplicatesView) -> None:
        super().__init__(view)
        self.marks, self.view = marks, view
        header = view.table.horizontalHeader()  # shown beside the proposal, where the eye already is
        header.moveSection(header.visualIndex(MARK_COLUMN), COLUMNS.index("Proposal") + 1)
        view.table.setColumnWidth(MARK_COLUMN, view.fontMetrics().horizontalAdvance(MARK_TEXT[False]) + 24)
        self._shown: set[str] = set()  # rows now showing a mark (folder-relative paths)
        marks.changed.connect(self.refresh)
        view.listed.connect(lambda _listing: self.refresh())

    def refresh(self) -> None:
        """Write the mark of every row whose image is in a marked pair, and clear the rows that
        showed one before. Only those rows are looked at: a 100,000-image folder lists ~20,000
        rows, and a pass over all of them on every listing took the app 0.6 s (bench/app)."""
        marked = {path for m in self.marks.marks() for path in (m.a, m.b)}
        shown: set[str] = set()
        for rel in sorted(marked | self._shown):
            row = self.view.row_of(rel)
            if row is not None and self._show(row):
                shown.add(rel)
        self._shown = shown

    def _show(self, row: int) -> bool:
        """Write one row's mark; whether it has one."""
        pair = duplicate_pair(self.view, self.view.rows.index(row, 0))
        verdict = None if pair is None else self.marks.verdict(*pair)
        self.view.rows.set_mark(row, verdict)
        return verdict is not None
