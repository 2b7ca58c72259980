"""The selected image's k nearest neighbours, best first, marked against the threshold and class.

The search runs in a worker (exact or FAISS over the whole folder: engine.search.vector_search),
never on the UI thread; only the newest selection's answer is shown, a stale one is dropped.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.search.distances import distance_matrix
from lookalike.engine.search.image_query import QueryAnswer
from lookalike.engine.search.vector_search import FAISS_ABOVE, search_of
from lookalike.gui.gallery.thumbnail_loader import ThumbnailLoader
from lookalike.gui.neighbours.heatmap_widget import HeatmapWidget
from lookalike.gui.state.session import Session
from lookalike.gui.teaching.pair_marks_model import PairMarksModel
from lookalike.gui.widgets.palette import MATCH, NO_MATCH, OTHER_CLASS
from lookalike.gui.widgets.workers import LatestOnly, ProgressFn
from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
MAX_HEATMAP = 60


@dataclass(frozen=True)
class Neighbour:
    """One answer row: which image, how far, and how it is marked."""

    row: int
    distance: float
    match: bool
    other_class: bool
    marked: bool | None = None  # the user's own verdict on this pair, shown at any threshold


class NeighboursView(QWidget):
    """One selected image → its neighbours; several selected → their pairwise distance heat map."""

    open_requested = Signal(str)
    shown = Signal()  # the list now holds a query's answer
    failed = Signal(str, str)  # title, message: the app's one error handler shows it

    def __init__(
        self,
        session: Session,
        thumbs: ThumbnailLoader,
        marks: PairMarksModel | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.thumbs = thumbs
        self.marks = marks
        self.neighbours: list[Neighbour] = []
        self._query: int | None = None
        self.jobs = LatestOnly("neighbours", 1, self)
        self.index_jobs = LatestOnly("neighbours index", 1, self)  # a big folder's index, built apart
        self._query_path = ""  # the image whose neighbours are shown, in the folder or not
        self._build()
        session.selection_changed.connect(self._selection_changed)
        session.threshold_changed.connect(lambda _t: self._refresh_marks())
        session.folder_changed.connect(self._folder_changed)
        thumbs.ready.connect(self._thumbnail_ready)
        if marks is not None:
            marks.changed.connect(self._refresh_marks)

    def _build(self) -> None:
        self.title = QLabel("Select an image in the gallery to see its nearest neighbours.")
        self.title.setWordWrap(True)
        self.query_image = QLabel()
        self.query_image.setFixedSize(self.thumbs.size // 2, self.thumbs.size // 2)
        self.query_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.k = QSpinBox()
        self.k.setRange(1, 200)
        self.k.setValue(12)
        self.k.setPrefix("k = ")
        self.k.valueChanged.connect(lambda _v: self._selection_changed(self.session.selection))
        top = QHBoxLayout()
        top.addWidget(self.query_image)
        top.addWidget(self.title, 1)
        top.addWidget(self.k)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(self.thumbs.size, self.thumbs.size))
        self.list.setGridSize(QSize(self.thumbs.size + 40, self.thumbs.size + 74))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        self.list.itemDoubleClicked.connect(self._open)
        self.heatmap = HeatmapWidget()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.heatmap)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)

    def _folder_changed(self, emb: FolderEmbeddings | None) -> None:
        self._selection_changed([])
        if emb is not None and len(emb) >= FAISS_ABOVE:  # build the folder's FAISS before the first click
            self.index_jobs.start(lambda _p, _c: search_of(emb), lambda _s: None, self._search_failed)

    def _selection_changed(self, rows: list[int]) -> None:
        emb = self.session.embeddings
        self.jobs.drop()
        self.list.clear()
        self.neighbours = []
        self._query = None
        self._show_query_image("")
        if emb is None or not rows:
            self.title.setText("Select an image in the gallery to see its nearest neighbours.")
            self.stack.setCurrentWidget(self.list)
            return
        if len(rows) > 1:
            self._show_heatmap(emb, rows[:MAX_HEATMAP])
            return
        row, k = rows[0], self.k.value()
        self._query = row
        self._show_query_image(str(emb.abs_path(row)))
        label = emb.labels[row]
        self.title.setText(f"Nearest neighbours of {emb.paths[row]}" + (f" (class {label})" if label else ""))
        self.stack.setCurrentWidget(self.list)

        def job(_progress: ProgressFn, _cancel: threading.Event) -> list[tuple[int, float]]:
            # exact until the index built on opening is there (its own thread): no click waits for it
            search = search_of(emb, wait=False)
            idx, dist = search.search(emb.vectors[[row]], k, exclude_self=np.array([row]))
            return [(int(r), float(d)) for r, d in zip(idx[0], dist[0], strict=True) if r >= 0]

        self.jobs.start(job, lambda pairs: self._answered(emb, pairs), self._search_failed)

    def _answered(self, emb: FolderEmbeddings, pairs: list[tuple[int, float]]) -> None:
        if emb is not self.session.embeddings:
            return
        self.neighbours = [self._mark(emb, r, d) for r, d in pairs]
        for n in self.neighbours:
            self.list.addItem(self._item(emb, n))
        self.shown.emit()

    def _search_failed(self, exc: BaseException) -> None:
        self.failed.emit("Nearest neighbours", str(exc))

    def shutdown(self) -> None:
        """Drop the search in flight and wait for its thread (a clean close)."""
        self.jobs.shutdown()
        self.index_jobs.shutdown()

    def show_query(self, answer: QueryAnswer) -> None:
        """Find similar: an image from anywhere, its neighbours in the folder with distance and verdict."""
        emb = self.session.embeddings
        if emb is None:
            return
        # The gallery highlights the query when it is in the folder, and nothing when it is not.
        self.session.select([] if answer.self_row is None else [answer.self_row])
        self.jobs.drop()  # a selection's answer still in flight must not replace this one
        self.list.clear()
        self._query = answer.self_row
        self._show_query_image(str(answer.query))
        pairs = zip(answer.rows, answer.distances, strict=True)
        self.neighbours = [self._mark(emb, row, dist) for row, dist in pairs]
        where = "in the folder" if answer.self_row is not None else "from outside the folder"
        self.title.setText(f"Nearest neighbours of {answer.query.name} ({where})")
        for n in self.neighbours:
            self.list.addItem(self._item(emb, n))
        self.stack.setCurrentWidget(self.list)
        self.shown.emit()

    def _show_query_image(self, path: str) -> None:
        self._query_path = path
        self.query_image.setToolTip(path)
        pix = self.thumbs.pixmap(path) if path else None
        self.query_image.setPixmap(
            pix.scaled(self.query_image.size(), Qt.AspectRatioMode.KeepAspectRatio) if pix else QPixmap()
        )

    def _show_heatmap(self, emb: FolderEmbeddings, rows: list[int]) -> None:
        names = [emb.paths[r].rsplit("/", 1)[-1] for r in rows]
        self.heatmap.set_matrix(distance_matrix(emb.vectors[rows]), names, self.session.threshold)
        self.title.setText(f"Pairwise distances of {len(rows)} selected images (below the threshold = match)")
        self.stack.setCurrentWidget(self.heatmap)

    def _mark(self, emb: FolderEmbeddings, row: int, dist: float) -> Neighbour:
        q = self._query
        qlab = emb.labels[q] if q is not None else None
        other = (
            emb.has_labels and qlab is not None and emb.labels[row] is not None and emb.labels[row] != qlab
        )
        marked = None
        if self.marks is not None and q is not None:
            marked = self.marks.verdict(emb.paths[q], emb.paths[row])
        match = dist < self.session.threshold if marked is None else marked
        return Neighbour(row, dist, match, bool(other), marked)

    def _item(self, emb: FolderEmbeddings, n: Neighbour) -> QListWidgetItem:
        item = QListWidgetItem()
        item.setData(ROW_ROLE, n.row)
        path = str(emb.abs_path(n.row))
        pix = self.thumbs.pixmap(path)
        if pix is not None:
            item.setIcon(QIcon(pix))
        item.setToolTip(
            f"{emb.paths[n.row]}\nclass: {emb.labels[n.row] or '(none)'}\ndistance {n.distance:.4f}"
        )
        self._style(item, emb, n)
        return item

    def _style(self, item: QListWidgetItem, emb: FolderEmbeddings, n: Neighbour) -> None:
        verdict = "match" if n.match else "no match"
        if n.marked is not None:
            verdict = "✓ marked match" if n.marked else "✗ marked not a match"
        extra = f"\n≠ {emb.labels[n.row]}" if n.other_class else ""
        name = self.list.fontMetrics().elidedText(
            emb.paths[n.row].rsplit("/", 1)[-1],
            Qt.TextElideMode.ElideMiddle,
            self.list.gridSize().width() - 8,
        )
        item.setText(f"{name}\n{n.distance:.3f} · {verdict}{extra}")
        colour = OTHER_CLASS if n.other_class and n.match else (MATCH if n.match else NO_MATCH)
        item.setForeground(QBrush(QColor(colour)))
        item.setBackground(QBrush(QColor(0, 0, 0, 0) if n.match else QColor(NO_MATCH).lighter(190)))

    def _refresh_marks(self) -> None:
        emb = self.session.embeddings
        if emb is None:
            return
        if self.stack.currentWidget() is self.heatmap:
            self.heatmap.set_threshold(self.session.threshold)
            return
        self.neighbours = [self._mark(emb, n.row, n.distance) for n in self.neighbours]
        for i, n in enumerate(self.neighbours):
            self._style(self.list.item(i), emb, n)

    def _thumbnail_ready(self, path: str) -> None:
        if path == self._query_path:
            self._show_query_image(path)
        emb = self.session.embeddings
        if emb is None:
            return
        for i, n in enumerate(self.neighbours):
            if str(emb.abs_path(n.row)) == path:
                pix = self.thumbs.pixmap(path)
                if pix is not None:
                    self.list.item(i).setIcon(QIcon(pix))

    def paths_of(self, indexes: list[QModelIndex]) -> list[str]:
        """Absolute paths of neighbour rows (the per-image actions' view of this list)."""
        emb = self.session.embeddings
        if emb is None:
            return []
        rows = [i.data(ROW_ROLE) for i in indexes if i.isValid()]
        return [str(emb.abs_path(int(r))) for r in rows if r is not None]

    def _open(self, item: QListWidgetItem) -> None:
        emb = self.session.embeddings
        if emb is not None:
            self.open_requested.emit(str(emb.abs_path(int(item.data(ROW_ROLE)))))

    def mark_neighbour(self, index: int, is_match: bool | None) -> None:
        """Mark the pair (query, neighbour `index`) as a match / not a match, or clear it (None)."""
        emb = self.session.embeddings
        if emb is None or self.marks is None or self._query is None:
            return
        a, b = emb.paths[self._query], emb.paths[self.neighbours[index].row]
        if is_match is None:
            self.marks.unmark(a, b)
        else:
            self.marks.mark(a, b, is_match)

    def add_mark_actions(self, menu: QMenu, index: QModelIndex) -> None:
        """Is a match / Not a match / Clear mark for (query, this neighbour), in its context menu."""
        if self.marks is None or self._query is None or not index.isValid():
            return
        row = index.row()
        menu.addSeparator()
        for text, verdict in (("Is a match", True), ("Not a match", False), ("Clear mark", None)):
            menu.addAction(text).triggered.connect(lambda _=False, v=verdict: self.mark_neighbour(row, v))
