"""The gallery: the open folder as an icon grid, with class and name filters and a map subset."""

from __future__ import annotations

from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.images.loading import is_image_name
from lookalike.gui.compare.drop_zone import dropped_files
from lookalike.gui.gallery.model import PATH_ROLE, GalleryFilter, GalleryModel
from lookalike.gui.gallery.thumbnail_loader import ThumbnailLoader
from lookalike.gui.state.session import Session
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

ALL_CLASSES = "All classes"


class GalleryView(QWidget):
    """Shows the folder; selecting here selects in the whole app, and the app's selection shows here."""

    open_requested = Signal(str)
    image_dropped = Signal(str)  # an image file dropped from anywhere: find similar ones here

    def __init__(self, session: Session, thumbs: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = GalleryModel(thumbs, self)
        self.proxy = GalleryFilter(self)
        self.proxy.setSourceModel(self.model)
        self._syncing = False
        self._subset: set[int] | None = None
        self._build(thumbs.size)
        self.setAcceptDrops(True)
        self.model.rowsInserted.connect(self._show_count)
        self.model.loaded.connect(lambda: self._show_selection(self.session.selection))
        session.folder_changed.connect(self._folder_changed)
        session.selection_changed.connect(self._show_selection)
        session.subset_changed.connect(self._set_subset)

    def _build(self, icon: int) -> None:
        self.classes = QComboBox()
        self.classes.setMinimumContentsLength(12)
        self.classes.currentIndexChanged.connect(self._apply_filters)
        self.name_filter = QLineEdit()
        self.name_filter.setPlaceholderText("Filter by name…")
        self.name_filter.setClearButtonEnabled(True)
        self.name_filter.textChanged.connect(self._apply_filters)
        self.subset_label = QLabel()
        self.show_all = QPushButton("Show all")
        self.show_all.clicked.connect(lambda: self.session.show_subset(None))
        self.count = QLabel()
        # A fixed size: the count changes with every chunk of rows while a folder opens, and a label
        # that may grow asks the whole main window to lay itself out again (~20-30 ms a time at
        # 100,000 images: a hundred of the opening's stalls, bench/app/big_window.py).
        self.count.setFixedSize(
            self.count.fontMetrics().horizontalAdvance(" 8,888,888 / 8,888,888 "),
            self.count.sizeHint().height(),
        )
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        top = QHBoxLayout()
        for w in (self.classes, self.name_filter, self.subset_label, self.show_all, self.count):
            top.addWidget(w)
        self.list = QListView()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(icon, icon))
        self.list.setGridSize(QSize(icon + 24, icon + 34))
        self.list.setUniformItemSizes(True)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setLayoutMode(QListView.LayoutMode.Batched)
        self.list.setBatchSize(200)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setDragEnabled(True)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.list.setModel(self.proxy)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)
        self.list.doubleClicked.connect(self._double_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.list)
        self._set_subset(None)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        """Accept one image file (not a folder or model: the window opens those)."""
        paths = dropped_files(event.mimeData())
        if len(paths) == 1 and paths[0].is_file() and is_image_name(paths[0].name):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """Ask for the dropped image's neighbours in this folder."""
        paths = dropped_files(event.mimeData())
        if len(paths) == 1 and paths[0].is_file():
            event.acceptProposedAction()
            self.image_dropped.emit(str(paths[0]))

    def _folder_changed(self, embeddings: FolderEmbeddings | None) -> None:
        self.model.set_embeddings(embeddings)
        self.classes.blockSignals(True)
        self.classes.clear()
        self.classes.addItem(ALL_CLASSES)
        if embeddings is not None:
            self.classes.addItems(embeddings.class_names)
        self.classes.blockSignals(False)
        self._subset = None
        self._apply_filters()

    def _set_subset(self, rows: list[int] | None) -> None:
        self._subset = None if rows is None else set(rows)
        self.subset_label.setText("" if rows is None else f"{len(rows)} images from the map")
        self.subset_label.setVisible(rows is not None)
        self.show_all.setVisible(rows is not None)
        self._apply_filters()
        if rows:
            self.session.select(rows)

    def _apply_filters(self) -> None:
        label = self.classes.currentText() if self.classes.currentIndex() > 0 else None
        self.proxy.set_filters(label, self.name_filter.text(), self._subset)
        self._show_count()
        self._show_selection(self.session.selection)

    def _show_count(self) -> None:
        self.count.setText(f"{self.proxy.rowCount():,} / {self.model.rowCount():,}")

    def _selection_changed(self) -> None:
        if self._syncing:
            return
        rows = sorted(self.proxy.mapToSource(i).row() for i in self.list.selectionModel().selectedIndexes())
        current = self.list.currentIndex()
        if current.isValid() and self.list.selectionModel().isSelected(current):
            first = self.proxy.mapToSource(current).row()
            rows = [first] + [r for r in rows if r != first]
        self.session.select(rows)

    def _show_selection(self, rows: list[int]) -> None:
        """Mirror the app's selection (from the map or neighbours) without echoing it back."""
        self._syncing = True
        try:
            selection = QItemSelection()
            first: QModelIndex | None = None
            for row in rows:
                idx = self.proxy.mapFromSource(self.model.index(row))
                if idx.isValid():
                    selection.select(idx, idx)
                    first = first or idx
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
            self.list.selectionModel().select(selection, flags)
            if first is not None:
                self.list.selectionModel().setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
                self.list.scrollTo(first)
        finally:
            self._syncing = False

    def _double_clicked(self, index: QModelIndex) -> None:
        self.open_requested.emit(str(index.data(PATH_ROLE)))
