"""The folder as a Qt list model: one row per embedded image, thumbnails loaded lazily.

Rows arrive in chunks, one chunk per event-loop turn, so a large folder never freezes the window.
A filter proxy narrows the gallery by class, by name, or to a subset (a lasso on the map).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
CHUNK_ROWS = 1000  # rows inserted per event-loop turn: a few ms each, with the proxy and the view


class GalleryModel(QAbstractListModel):
    """Rows = images of the open folder; decoration = thumbnail (requested when first shown)."""

    loaded = Signal()  # every row of the current folder is in

    def __init__(self, thumbs: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbs = thumbs
        self.embeddings: FolderEmbeddings | None = None
        self.abs_paths: list[str] = []
        self.captions: list[str] = []
        self.lower_paths: list[str] = []
        self._row_of: dict[str, int] = {}
        self._generation = 0
        thumbs.ready.connect(self._thumbnail_ready)

    def set_embeddings(self, embeddings: FolderEmbeddings | None) -> None:
        """Replace the rows: cleared at once, then filled a chunk per event-loop turn."""
        self._generation += 1
        self.beginResetModel()
        self.embeddings = embeddings
        self.abs_paths, self.lower_paths, self._row_of = [], [], {}
        self.captions = [] if embeddings is None else embeddings.captions  # made by the open's worker
        self.endResetModel()
        self._insert_chunk(self._generation)

    @property
    def complete(self) -> bool:
        """True when every row of the current folder has been inserted."""
        return len(self.abs_paths) == (0 if self.embeddings is None else len(self.embeddings))

    def _insert_chunk(self, generation: int) -> None:
        emb = self.embeddings
        if generation != self._generation or emb is None:
            return
        first = len(self.abs_paths)
        stop = min(first + CHUNK_ROWS, len(emb))
        if stop > first:
            self.beginInsertRows(QModelIndex(), first, stop - 1)
            folder = str(emb.folder)
            self.abs_paths += [joined_path(folder, rel) for rel in emb.paths[first:stop]]
            self.lower_paths += [p.lower() for p in emb.paths[first:stop]]
            self._row_of.update((self.abs_paths[i], i) for i in range(first, stop))
            self.endInsertRows()
        if self.complete:
            self.loaded.emit()
        else:
            QTimer.singleShot(0, self, lambda: self._insert_chunk(generation))

    def rowCount(self, parent: RowIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of images (flat list)."""
        return 0 if parent.isValid() else len(self.abs_paths)

    def data(self, index: RowIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Name, thumbnail, tooltip, class, path and row for the views and the filter."""
        emb = self.embeddings
        if emb is None or not index.isValid():
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.captions[row]
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbs.pixmap(self.abs_paths[row]) or self.thumbs.placeholder
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{emb.paths[row]}\nclass: {emb.labels[row] or '(none)'}"
        if role == LABEL_ROLE:
            return emb.labels[row]
        if role == PATH_ROLE:
            return self.abs_paths[row]
        if role == ROW_ROLE:
            return row
        if role == REL_PATH_ROLE:
            return emb.paths[row]
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
        if row is not None:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


class GalleryFilter(QSortFilterProxyModel):
    """Filter by class, by a name fragment, and optionally to a set of rows."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.label: str | None = None
        self.text = ""
        self.subset: set[int] | None = None

    def set_filters(self, label: str | None, text: str, subset: set[int] | None) -> None:
        """Apply all three filters at once."""
        self.beginFilterChange()
        self.label, self.text, self.subset = label, text.strip().lower(), subset
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: RowIndex) -> bool:  # noqa: N802
        """Keep a row when it passes every active filter (plain list look-ups: called per row)."""
        if self.subset is not None and source_row not in self.subset:
            return False
        model = self.sourceModel()
        if not isinstance(model, GalleryModel) or model.embeddings is None:
            return True
        if self.label is not None and model.embeddings.labels[source_row] != self.label:
            return False
        return not self.text or self.text in model.lower_paths[source_row]
