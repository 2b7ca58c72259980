"""The Duplicates table's rows: each group's header row, then its images, made on demand.

A listing at 100,000 images has ~10,000 groups and ~21,000 image rows. Items made for every row
(the QTreeWidget this replaces) cost the UI thread a relayout of the whole tree on each chunk of
rows added: turns of 50-87 ms as the tree grew (bench/app/big_window.py). A table model holds only
the listing; the view asks for the cells on screen, so showing a listing is one model reset
(~10 ms at 31,000 rows) whatever its size.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
from itertools import accumulate

from lookalike.engine.duplicates.listing import ROLE_NAMES, DuplicateGroup, DuplicateListing
from lookalike.engine.folder.embedding import joined_path
from lookalike.gui.gallery.thumbnail_loader import ThumbnailLoader
from lookalike.gui.widgets.palette import MATCH, NO_MATCH
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon

PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # absolute path of an image row; None on a group row
GROUP_ROLE = Qt.ItemDataRole.UserRole + 2  # the row's group (index into the listing)
COLUMNS = ("Image", "Proposal", "Size", "Dimensions", "Modified", "Path", "Your mark")
PATH_COLUMN = COLUMNS.index("Path")
MARK_COLUMN = COLUMNS.index("Your mark")
MARK_TEXT = {True: "✓ is a match", False: "✗ not a match", None: ""}
GROUP_SHADE = QColor(128, 128, 128, 40)  # a group's header row, on light and dark palettes
Index = QModelIndex | QPersistentModelIndex


class DuplicateRows(QAbstractTableModel):
    """A listing as table rows: for group g, a header row, then one row per image in group order."""

    def __init__(self, thumbs: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbs = thumbs
        self.listing: DuplicateListing | None = None
        self._folder = ""
        self._starts: list[int] = []  # the header row of each group
        self._row_of: dict[str, int] = {}  # folder-relative path -> image row
        self._marks: dict[int, bool] = {}  # image row -> its pair's verdict
        self._bold = QFont()
        self._bold.setBold(True)
        self._placeholder = QIcon(thumbs.placeholder)
        thumbs.ready.connect(self._thumbnail_ready)

    def show(self, listing: DuplicateListing | None, folder: str) -> None:
        """Show another listing (or none): one reset, no per-row work beyond a path lookup."""
        self.beginResetModel()
        self.listing, self._folder, self._marks = listing, folder, {}
        groups = listing.groups if listing is not None else ()
        self._starts = list(accumulate((len(g.files) + 1 for g in groups), initial=0))[:-1]
        self._row_of = {
            f.rel_path: start + 1 + i
            for start, g in zip(self._starts, groups, strict=True)
            for i, f in enumerate(g.files)
        }
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Header rows and image rows of every group."""
        if parent.isValid() or self.listing is None or not self._starts:
            return 0
        return self._starts[-1] + len(self.listing.groups[-1].files) + 1

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        """COLUMNS."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        """Column names."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def place(self, row: int) -> tuple[int, int]:
        """(group, image in the group) of a row; image -1 on a group's header row."""
        g = bisect.bisect_right(self._starts, row) - 1
        return g, row - self._starts[g] - 1

    def group_row(self, g: int) -> int:
        """The header row of group g."""
        return self._starts[g]

    def row_of(self, rel_path: str) -> int | None:
        """The row of an image of the listing (folder-relative path), if it is listed."""
        return self._row_of.get(rel_path)

    def text(self, row: int, column: int) -> str:
        """What a cell shows."""
        return str(self.data(self.index(row, column)) or "")

    def set_mark(self, row: int, verdict: bool | None) -> None:
        """Show an image row's pair mark (engine.pair_marks) against its group's kept image."""
        if verdict is None:
            self._marks.pop(row, None)
        else:
            self._marks[row] = verdict
        cell = self.index(row, MARK_COLUMN)
        self.dataChanged.emit(cell, cell)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """One cell, made when the view asks for it."""
        if self.listing is None or not index.isValid():
            return None
        g, i = self.place(index.row())
        group = self.listing.groups[g]
        if role == GROUP_ROLE:
            return g
        if i < 0:
            return self._group_cell(g, group, index.column(), role)
        return self._image_cell(index, group, i, role)

    def _group_cell(self, g: int, group: DuplicateGroup, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole and column == 0:
            return f"Group {g + 1} · {len(group.files)} images"
        if role == Qt.ItemDataRole.FontRole and column == 0:
            return self._bold
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(GROUP_SHADE)
        return None

    def _image_cell(self, index: Index, group: DuplicateGroup, i: int, role: int) -> object:
        f, column = group.files[i], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _image_text(group, i, column, MARK_TEXT[self._marks.get(index.row())])
        if role == PATH_ROLE:
            return joined_path(self._folder, f.rel_path)
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            pix = self.thumbs.pixmap(joined_path(self._folder, f.rel_path))  # asks for it if missing
            return self._placeholder if pix is None else QIcon(pix)
        if role == Qt.ItemDataRole.FontRole and column == 1 and i == group.keep:
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole and column == MARK_COLUMN and index.row() in self._marks:
            return QBrush(QColor(MATCH if self._marks[index.row()] else NO_MATCH))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f.rel_path
        return None

    def _thumbnail_ready(self, path: str) -> None:
        """A thumbnail came (the loader answers the gallery too): repaint its row's icon if listed."""
        folder = self._folder + os.sep
        if not self._folder or not path.startswith(folder):
            return
        row = self._row_of.get(path[len(folder) :].replace(os.sep, "/"))
        if row is not None:
            cell = self.index(row, 0)
            self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.DecorationRole])


def _image_text(group: DuplicateGroup, i: int, column: int, mark: str) -> str:
    """The text of an image row's cell."""
    f = group.files[i]
    if column == 0:
        return f.rel_path.rsplit("/", 1)[-1]
    if column == 1:
        return ROLE_NAMES[group.role(i)]
    if column == 2:
        return _size(f.bytes)
    if column == 3:
        return f"{f.width}×{f.height}"
    if column == 4:
        return dt.datetime.fromtimestamp(f.modified).strftime("%Y-%m-%d %H:%M")
    return f.rel_path if column == PATH_COLUMN else mark


def _size(n: int) -> str:
    """Bytes in the unit a file manager would use."""
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:,.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"
