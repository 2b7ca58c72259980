"""The folder as a Qt list model: one row per embedded image, thumbnails loaded lazily.

A filter proxy narrows the gallery by class, by name, or to a subset (a lasso on the map).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QUrl,
)

from engine.folder_embedding import FolderEmbeddings
from gui.thumbnail_loader import ThumbnailLoader

RowIndex = QModelIndex | QPersistentModelIndex
LABEL_ROLE = Qt.ItemDataRole.UserRole + 1
PATH_ROLE = Qt.ItemDataRole.UserRole + 2
ROW_ROLE = Qt.ItemDataRole.UserRole + 3
REL_PATH_ROLE = Qt.ItemDataRole.UserRole + 4


class GalleryModel(QAbstractListModel):
    """Rows = images of the open folder; decoration = thumbnail (requested when first shown)."""

    def __init__(self, thumbs: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbs = thumbs
        self.embeddings: FolderEmbeddings | None = None
        self._row_of: dict[str, int] = {}
        thumbs.ready.connect(self._thumbnail_ready)

    def set_embeddings(self, embeddings: FolderEmbeddings | None) -> None:
        """Replace all rows at once (inside begin/end reset)."""
        self.beginResetModel()
        self.embeddings = embeddings
        paths = [] if embeddings is None else [str(embeddings.abs_path(i)) for i in range(len(embeddings))]
        self._row_of = {p: i for i, p in enumerate(paths)}
        self.endResetModel()

    def rowCount(self, parent: RowIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of images (flat list)."""
        return 0 if parent.isValid() or self.embeddings is None else len(self.embeddings)

    def data(self, index: RowIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Name, thumbnail, tooltip, class, path and row for the views and the filter."""
        emb = self.embeddings
        if emb is None or not index.isValid():
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return emb.paths[row].rsplit("/", 1)[-1]
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbs.pixmap(str(emb.abs_path(row))) or self.thumbs.placeholder
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{emb.paths[row]}\nclass: {emb.labels[row] or '(none)'}"
        if role == LABEL_ROLE:
            return emb.labels[row]
        if role == PATH_ROLE:
            return str(emb.abs_path(row))
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
        """Keep a row when it passes every active filter."""
        if self.subset is not None and source_row not in self.subset:
            return False
        model = self.sourceModel()
        idx = model.index(source_row, 0, source_parent)
        if self.label is not None and model.data(idx, LABEL_ROLE) != self.label:
            return False
        if self.text:
            return self.text in str(model.data(idx, REL_PATH_ROLE)).lower()
        return True
