"""The main window: builds the views, wires them to the session and controller, menus and settings."""

from __future__ import annotations

from pathlib import Path

from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.index.manifest import is_index_dir
from lookalike.engine.model.embedder import Embedder
from lookalike.gui.compare.drop_zone import dropped_files
from lookalike.gui.compare.view import CompareView
from lookalike.gui.controller import Controller
from lookalike.gui.duplicates.marks import DuplicateMarksShown, duplicate_mark_actions
from lookalike.gui.duplicates.view import DuplicatesView, duplicate_paths
from lookalike.gui.export_menu import ExportMenu
from lookalike.gui.gallery.image_actions import ImageActions
from lookalike.gui.gallery.image_viewer import ImageViewer
from lookalike.gui.gallery.model import PATH_ROLE
from lookalike.gui.gallery.outside_search import OutsideSearch
from lookalike.gui.gallery.thumbnail_loader import ThumbnailLoader
from lookalike.gui.gallery.view import GalleryView
from lookalike.gui.map.view import MapView
from lookalike.gui.neighbours.view import NeighboursView
from lookalike.gui.state.app_settings import AppSettings
from lookalike.gui.state.model_history import ModelHistory
from lookalike.gui.state.remembered_state import RememberedState
from lookalike.gui.state.session import Session
from lookalike.gui.teaching.actions import TeachingActions
from lookalike.gui.teaching.marks_dialog import ask_marks_export
from lookalike.gui.teaching.pair_marks_model import PairMarksModel
from lookalike.gui.teaching.teacher import Teacher
from lookalike.gui.threshold.bar import ThresholdBar
from lookalike.gui.threshold.folder_threshold_job import FolderThresholdJob
from lookalike.gui.threshold.view import ThresholdView
from lookalike.gui.widgets.skipped_panel import SkippedPanel
from lookalike.gui.widgets.status_bar import StatusBar
from lookalike.gui.widgets.workers import WorkerPool
from lookalike.gui.window_menus import build_menus
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolBar,
    QWidget,
)


class MainWindow(QMainWindow):
    """Gallery on the left; neighbours, compare, map, threshold and skipped files as tabs on the right."""

    recent_menu: QMenu  # File → Recent folders (built by window_menus)
    models_menu: QMenu  # File → Recent models

    error_shown = Signal(str, str)

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Lookalike")
        self.setAcceptDrops(True)
        self.settings = AppSettings(settings)
        self.session = Session(self)
        self.pool = WorkerPool(2, self)
        self.controller = Controller(self.session, self.pool, self)
        self.controller.remembered_threshold = self.settings.threshold
        self.marks = PairMarksModel(self.session, self)
        self.models = ModelHistory(self.session, settings, self)
        self.teacher = Teacher(self.session, self.controller, self)
        self.teaching = TeachingActions(self)
        self.thumbs = ThumbnailLoader(parent=self)
        self.last_error: tuple[str, str] | None = None
        self._closed = False
        self._build_views()
        self._build_menus()
        self._wire()
        self._wire_tools()
        self._restore_layout()

    def _build_views(self) -> None:
        s, c, t = self.session, self.controller, self.thumbs
        self.gallery = GalleryView(s, t)
        self.neighbours = NeighboursView(s, t, self.marks)
        self.compare = CompareView(s, c, self.marks)
        self.map = MapView(s, c, t)
        self.threshold_view = ThresholdView(s)
        self.duplicates = DuplicatesView(s, c, t)
        self.skipped = SkippedPanel()
        self.tabs = QTabWidget()
        for widget, name in (
            (self.neighbours, "Neighbours"),
            (self.compare, "Compare"),
            (self.map, "Map"),
            (self.threshold_view, "Threshold"),
            (self.duplicates, "Duplicates"),
            (self.skipped, "Skipped files"),
        ):
            self.tabs.addTab(widget, name)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.gallery)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([480, 800])
        self.setCentralWidget(splitter)
        self.threshold_bar = ThresholdBar(s)
        bar = QToolBar("Threshold")
        bar.setObjectName("threshold_toolbar")
        bar.setMovable(False)
        bar.addWidget(self.threshold_bar)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.status = StatusBar(c)
        self.setStatusBar(self.status)

    def _build_menus(self) -> None:
        build_menus(self)

    def build_image_tools(self, export_menu: QMenu) -> None:
        """Per-image actions (Image menu, context menus) and File → Export."""
        self.image_actions = ImageActions(self.session, self)
        self.image_actions.fill_menu(self.menuBar().addMenu("&Image"))
        self.exports = ExportMenu(
            self.session,
            self.controller,
            self.neighbours.k.value,
            lambda: self.duplicates.listing,
            lambda: self.duplicates.keep_rule,
            self,
        )
        self.exports.fill(export_menu)
        export_menu.addAction("Marked pairs (is / is not a match)…").triggered.connect(
            lambda: ask_marks_export(self, self.marks)
        )

    def _wire(self) -> None:
        self.controller.failed.connect(self.show_error)
        self.marks.failed.connect(self.show_error)
        self.models.changed.connect(self.teaching.fill_models)
        self.teacher.finished.connect(
            lambda r: self.status.showMessage(f"Taught model saved: {r.model}", 15000)
        )
        self.controller.embedded.connect(self._embedded)
        self.session.model_changed.connect(self._model_changed)
        self.session.threshold_changed.connect(self._remember_threshold)
        self.gallery.open_requested.connect(self.open_image)
        self.neighbours.open_requested.connect(self.open_image)
        self.neighbours.failed.connect(self.show_error)
        self._wire_image_tools()
        self.thumbs.failed.connect(
            lambda path, why: self.status.showMessage(f"{Path(path).name}: {why}", 8000)
        )

    def _wire_tools(self) -> None:
        """Find similar, the folder's own thresholds, remembered state."""
        s, c = self.session, self.controller
        self.folder_threshold_job = FolderThresholdJob(s, c, self)
        self.outside = OutsideSearch(s, c, self)
        self.remembered = RememberedState(self, self.settings.qs)
        self.gallery.image_dropped.connect(self.find_similar)
        self.outside.answered.connect(self.neighbours.show_query)
        self.outside.answered.connect(lambda _a: self.tabs.setCurrentWidget(self.neighbours))

    def find_similar(self, image: str | Path) -> None:
        """Show the nearest neighbours in the open folder of any image file (dropped or chosen)."""
        self.outside.k = self.neighbours.k.value()
        self.outside.search(Path(image))

    def choose_similar(self) -> None:
        """File → Find similar…"""
        path, _ = QFileDialog.getOpenFileName(self, "Find images similar to…", str(Path.home()))
        if path:
            self.find_similar(path)

    def _wire_image_tools(self) -> None:
        acts = self.image_actions
        acts.register(self.gallery.list, lambda idx: [str(i.data(PATH_ROLE)) for i in idx if i.isValid()])
        acts.register(self.neighbours.list, self.neighbours.paths_of, self.neighbours.add_mark_actions)
        acts.register(
            self.duplicates.table, duplicate_paths, duplicate_mark_actions(self.marks, self.duplicates)
        )
        self.duplicate_marks = DuplicateMarksShown(self.marks, self.duplicates)
        acts.register_widget(self.map.web)
        acts.notice.connect(lambda text: self.status.showMessage(text, 8000))
        acts.find_similar_requested.connect(self._find_similar)
        acts.compare_requested.connect(self._compare_pair)
        self.duplicates.open_requested.connect(self.open_image)

    def _find_similar(self, row: int) -> None:
        self.session.select([row])
        self.tabs.setCurrentWidget(self.neighbours)

    def _compare_pair(self, a: str, b: str) -> None:
        self.compare.load("a", Path(a))
        self.compare.load("b", Path(b))
        self.tabs.setCurrentWidget(self.compare)

    def open_folder(self, folder: str | Path) -> None:
        """Open (embed) a folder; it joins the recent list. Nothing inside it is ever written."""
        path = Path(folder).expanduser().resolve()
        self.thumbs.clear()
        self.settings.add_recent_folder(str(path))
        self.fill_recent()
        self.setWindowTitle(f"Lookalike — {path.name}")
        self.skipped.show_result(None)
        self.controller.open_folder(path)

    def open_model(self, model: str | Path) -> None:
        """Load another model; if it is unusable a dialog says why and the current one stays."""
        self.controller.open_model(Path(model).expanduser())

    def choose_folder(self) -> None:
        """File → Open folder."""
        start = str(self.session.folder or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of images", start)
        if folder:
            self.open_folder(folder)

    def choose_index(self) -> None:
        """File → Open index: a folder made by `lookalike index` (opened like a folder, not embedded)."""
        start = str(self.session.folder or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open an index (made by lookalike index)", start)
        if folder and not is_index_dir(folder):
            self.show_error("Not an index", f"{folder} has no index.json: make one with `lookalike index`.")
        elif folder:
            self.open_folder(folder)

    def choose_model(self) -> None:
        """File → Open model."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a Lookalike model", "", "ONNX models (*.onnx)")
        if path:
            self.open_model(path)

    def open_image(self, path: str) -> None:
        """Show one image large."""
        ImageViewer(path, self.controller, self).show()

    def show_error(self, title: str, message: str) -> None:
        """The one place errors reach the user: a window-modal box that never blocks the event loop."""
        self.last_error = (title, message)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.error_shown.emit(title, message)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        """Folders (open them) and .onnx files (load them) can be dropped on the window."""
        paths = dropped_files(event.mimeData())
        if paths and (paths[0].is_dir() or paths[0].suffix.lower() == ".onnx"):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """Open the dropped folder or model."""
        paths = dropped_files(event.mimeData())
        if not paths:
            return
        event.acceptProposedAction()
        if paths[0].is_dir():
            self.open_folder(paths[0])
        else:
            self.open_model(paths[0])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Save the layout, stop every job and wait for the threads, then close."""
        if not self._closed:
            self._closed = True
            self.settings.set_layout(self.saveGeometry(), self.saveState())
            self.remembered.save()
            self.settings.sync()
            self.teacher.shutdown()
            self.controller.shutdown()
            self.neighbours.shutdown()
            self.thumbs.shutdown()
            self.map.shutdown()
        super().closeEvent(event)

    def _embedded(self, emb: FolderEmbeddings) -> None:
        self.skipped.show_result(emb)
        self.tabs.setTabText(self.tabs.indexOf(self.skipped), f"Skipped files ({len(emb.skipped)})")

    def _model_changed(self, embedder: Embedder) -> None:
        self.status.show_model(embedder)

    def _remember_threshold(self, value: float) -> None:
        if self.session.embedder is not None:
            self.settings.set_threshold(self.session.embedder.sha256, value)

    def show_map(self) -> None:
        self.tabs.setCurrentWidget(self.map)
        self.map.compute()

    def fill_recent(self) -> None:
        self.recent_menu.clear()
        for folder in self.settings.recent_folders():
            action = self.recent_menu.addAction(folder)
            action.triggered.connect(lambda _=False, f=folder: self.open_folder(f))
        self.recent_menu.setEnabled(bool(self.settings.recent_folders()))

    def _restore_layout(self) -> None:
        geometry, state = self.settings.layout()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        if state is not None:
            self.restoreState(state)
