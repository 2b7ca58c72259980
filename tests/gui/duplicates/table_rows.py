"""Reading the Duplicates table as a user sees it: group header rows, each followed by its images."""

from __future__ import annotations

from lookalike.gui.duplicates.rows_model import PATH_ROLE
from lookalike.gui.duplicates.view import DuplicatesView

PATH = 5  # the Path column


def group_rows(view: DuplicatesView) -> list[int]:
    """The table's group header rows (rows without an image), top to bottom."""
    rows = view.rows
    return [r for r in range(rows.rowCount()) if rows.index(r, 0).data(PATH_ROLE) is None]


def file_rows(view: DuplicatesView, top: int) -> list[int]:
    """The image rows under a group header row, up to the next header."""
    rows, out = view.rows, []
    r = top + 1
    while r < rows.rowCount() and rows.index(r, 0).data(PATH_ROLE) is not None:
        out.append(r)
        r += 1
    return out


def cell(view: DuplicatesView, row: int, column: int) -> str:
    """The text a cell shows."""
    return view.rows.text(row, column)


def group_holding(view: DuplicatesView, rel: str) -> int | None:
    """The header row of the group listing an image (folder-relative path), if any."""
    for top in group_rows(view):
        if any(cell(view, r, PATH) == rel for r in file_rows(view, top)):
            return top
    return None
