"""The folder as a Qt list model: one row per embedded image, thumbnails loaded lazily.

Rows arrive in chunks, one chunk per event-loop turn, so a large folder never freezes the window;
which file names need a class beside them the folder's opening found in its worker
(engine.folder.embedding.FolderEmbeddings), and a row's caption and absolute path are made when it
is shown, so a chunk only announces its rows.
A filter proxy narrows the gallery by class, by name, or to a subset (a lasso on the map). Its
filtering is Qt's own, on a role the model answers from a mask computed once per filter change, so
while no filter is set no Python runs per row: each call from Qt into Python takes the GIL, and
while a worker runs Python each take waits up to the interpreter's switch interval (5 ms by
default, 1 ms in the app: gui.app). With a Python filterAcceptsRow, inserting 1,000 rows took
140-200 ms instead of 1 ms while a worker was busy (the big folder's opening stalls,
bench/app/big_window.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from lookalike.engine.folder.embedding import FolderEmbeddings, joined_path
from lookalike.gui.gallery.thumbnail_loader import ThumbnailLoader
from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    QUrl,
    Signal,
)

RowIndex = QModelIndex | QPersistentModelIndex
LABEL_ROLE = Qt.ItemDataRole.UserRole + 1
PATH_ROLE = Qt.ItemDataRole.UserRole + 2
ROW_ROLE = Qt.ItemDataRole.UserRole + 3
REL_PATH_ROLE = Qt.ItemDataRole.UserRole + 4
FILTER_ROLE = Qt.ItemDataRole.UserRole + 5  # "1" for a row the filters keep, else "0"
KEPT = "1"
CHUNK_ROWS = 1000  # rows inserted per event-loop turn: a few ms each, with the proxy and the view


class GalleryModel(QAbstractListModel):
    """Rows = images of the open folder; decoration = thumbnail (requested when first shown)."""

    loaded = Signal()  # every row of the current folder is in

    def __init__(self, thumbs: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbs = thumbs
        self.embeddings: FolderEmbeddings | None = None
        self._folder = ""
        self._row_of: dict[str, int] = {}  # rows whose thumbnail was asked for, by absolute path
        self._inserted = 0
        self._generation = 0
        self._filters: tuple[str | None, str, set[int] | None] = (None, "", None)
        self._kept: np.ndarray | None = None  # rows the filters keep; None while no filter is set
        thumbs.ready.connect(self._thumbnail_ready)

    def set_embeddings(self, embeddings: FolderEmbeddings | None) -> None:
        """Replace the rows: cleared at once, then filled a chunk per event-loop turn."""
        self._generation += 1
        self.beginResetModel()
        self.embeddings = embeddings
        self._inserted = 0
        self._row_of = {}
        self._folder = "" if embeddings is None else str(embeddings.folder)
        self._kept = self._kept_rows()
        self.endResetModel()
        self._insert_chunk(self._generation)

    def set_filters(self, label: str | None, text: str, subset: set[int] | None) -> None:
        """Keep the rows of class `label`, whose path holds `text` (any case), among `subset` (each
        None or empty: no such filter)."""
        self._filters = (label, text.strip().lower(), subset)
        self._kept = self._kept_rows()

    def _kept_rows(self) -> np.ndarray | None:
        label, text, subset = self._filters
        emb = self.embeddings
        if emb is None or not filters_set(label, text, subset):
            return None
        kept = np.ones(len(emb), bool)
        if subset is not None:
            kept[:] = False
            kept[[r for r in subset if 0 <= r < len(emb)]] = True
        if label is not None:
            kept &= np.fromiter((lab == label for lab in emb.labels), bool, len(emb))
        if text:
            kept &= np.fromiter((text in p for p in emb.lower_paths), bool, len(emb))
        return kept

    @property
    def complete(self) -> bool:
        """True when every row of the current folder has been inserted."""
        return self._inserted == (0 if self.embeddings is None else len(self.embeddings))

    def _insert_chunk(self, generation: int) -> None:
        emb = self.embeddings
        if generation != self._generation or emb is None:
            return
        first = self._inserted
        stop = min(first + CHUNK_ROWS, len(emb))
        if stop > first:
            self.beginInsertRows(QModelIndex(), first, stop - 1)
            self._inserted = stop
            self.endInsertRows()
        if self.complete:
            self.loaded.emit()
        else:
            QTimer.singleShot(0, self, lambda: self._insert_chunk(generation))

    def rowCount(self, parent: RowIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of images (flat list)."""
        return 0 if parent.isValid() else self._inserted

    def data(self, index: RowIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Name, thumbnail, tooltip, class, path and row for the views and the filter."""
        emb = self.embeddings
        if emb is None or not index.isValid():
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return emb.caption(row)
        if role == Qt.ItemDataRole.DecorationRole:
            path = joined_path(self._folder, emb.paths[row])
            self._row_of[path] = row  # where the thumbnail goes when it is ready
            return self.thumbs.pixmap(path) or self.thumbs.placeholder
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{emb.paths[row]}\nclass: {emb.labels[row] or '(none)'}"
        if role == LABEL_ROLE:
            return emb.labels[row]
        if role == PATH_ROLE:
            return joined_path(self._folder, emb.paths[row])
        if role == ROW_ROLE:
            return row
        if role == REL_PATH_ROLE:
            return emb.paths[row]
        if role == FILTER_ROLE:
            return KEPT if self._kept is None or self._kept[row] else "0"
        return None

    def flags(self, index: RowIndex) -> Qt.ItemFlag:
        """Items can be selected and dragged (onto the compare drop zones)."""
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:  # noqa: N802
        """Drags carry file URLs, like a file manager's."""
        return ["text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # noqa: N802
        """File URLs of the dragged images."""
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(self.data(i, PATH_ROLE))) for i in indexes if i.isValid()])
        return mime

    def _thumbnail_ready(self, path: str) -> None:
        row = self._row_of.get(path)
        if row is not None and row < self._inserted:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


class GalleryFilter(QSortFilterProxyModel):
    """Filter by class, by a name fragment, and optionally to a set of rows: Qt's own filtering on
    the model's FILTER_ROLE (no Python per row while no filter is set, module docstring)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setFilterRole(FILTER_ROLE)

    def set_filters(self, label: str | None, text: str, subset: set[int] | None) -> None:
        """Apply all three filters at once (the source model computes which rows they keep)."""
        model = self.sourceModel()
        if not isinstance(model, GalleryModel):
            return
        pattern = KEPT if filters_set(label, text, subset) else ""
        if pattern != self.filterRegularExpression().pattern():
            model.set_filters(label, text, subset)
            self.setFilterFixedString(pattern)  # filters again itself, once
        else:
            self.beginFilterChange()
            model.set_filters(label, text, subset)
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)


def filters_set(label: str | None, text: str, subset: set[int] | None) -> bool:
    """Whether any of the gallery's three filters is set."""
    return label is not None or bool(text.strip()) or subset is not None
