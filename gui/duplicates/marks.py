"""Pair marks from the Duplicates view: mark an image against its group's kept image."""

from __future__ import annotations

from collections.abc import Callable

from lookalike.gui.duplicates.view import GROUP_ROLE, PATH_ROLE, DuplicatesView
from lookalike.gui.teaching.pair_marks_model import PairMarksModel
from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QMenu


def duplicate_pair(view: DuplicatesView, index: QModelIndex) -> tuple[str, str] | None:
    """(kept image, this image) as folder-relative paths, for an image row that is not the kept one."""
    listing = view.listing
    item = view.tree.itemFromIndex(index.siblingAtColumn(0))
    if listing is None or item is None or item.data(0, PATH_ROLE) is None:
        return None
    group = listing.groups[int(item.data(0, GROUP_ROLE))]
    rel = item.text(5)
    kept = group.files[group.keep].rel_path
    return None if rel == kept else (kept, rel)


def duplicate_mark_actions(
    marks: PairMarksModel, view: DuplicatesView
) -> Callable[[QMenu, QModelIndex], None]:
    """The context-menu hook (ImageActions.register's `extra`) for the Duplicates tree."""

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
