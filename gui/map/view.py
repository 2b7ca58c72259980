"""The t-SNE map in a QWebEngineView: computed in the background, clicks and lassos select images."""

from __future__ import annotations

import tempfile
import threading
from functools import partial
from pathlib import Path

import shiboken6
from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.map.figure import WEBGL_ABOVE
from lookalike.engine.map.map_process import MapRequest, map_page_in_child
from lookalike.engine.map.projection import Projection
from lookalike.gui.controller import Controller
from lookalike.gui.gallery.thumbnail_loader import ThumbnailLoader
from lookalike.gui.map.atlas import MapAtlas
from lookalike.gui.map.bridge import MapBridge
from lookalike.gui.map.links import MapControls, MapLinks
from lookalike.gui.map.page import LINK_SCRIPT, PAGE_SCRIPT, qwebchannel_js, wrap_map_page
from lookalike.gui.state.session import Session
from lookalike.gui.widgets.palette import is_dark
from lookalike.gui.widgets.workers import ProgressFn
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QUrl, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

MIN_POINTS = 3


class MapPage(QWebEnginePage):
    """A page that only ever shows the map file it was given (no navigation elsewhere)."""

    allowed: QUrl = QUrl()
    console_errors: list[str]

    def javaScriptConsoleMessage(  # noqa: N802
        self, level: QWebEnginePage.JavaScriptConsoleMessageLevel, message: str, line: int, source: str
    ) -> None:
        """Keep script errors: a broken page should be visible in logs and tests, not silent."""
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            self.console_errors.append(f"{source}:{line}: {message}")

    def acceptNavigationRequest(  # noqa: N802
        self, url: QUrl | str, kind: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        """Refuse every navigation except loading our own map file."""
        return QUrl(url) == self.allowed


class MapView(QWidget):
    """Shows the folder's map; `page_ready` fires when the page's web channel is connected."""

    page_ready = Signal()

    def __init__(
        self, session: Session, controller: Controller, thumbs: ThumbnailLoader, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.controller, self.thumbs = session, controller, thumbs
        self.projection: Projection | None = None
        self._stale = True
        self._tmp = tempfile.TemporaryDirectory(prefix="lookalike-map-")
        self._count = 0
        self._waiting_thumb: dict[str, int] = {}
        self.lassoed_rows: list[int] = []
        self._channel_js = qwebchannel_js()
        self._build()
        session.folder_changed.connect(self._folder_changed)
        thumbs.ready.connect(self._thumbnail_ready)

    def _build(self) -> None:
        self.compute_button = QPushButton("Compute map")
        self.compute_button.clicked.connect(self.compute)
        self.info = QLabel("The map is computed when you open this tab.")
        bar = QHBoxLayout()
        bar.addWidget(self.compute_button)
        bar.addWidget(self.info, 1)
        self.web = QWebEngineView()
        self.page = MapPage(self.web)
        self.page.console_errors = []
        for attr, on in (
            (QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False),
            (QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, False),
            (QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows, False),
        ):
            self.page.settings().setAttribute(attr, on)
        self.web.setPage(self.page)
        self.bridge = MapBridge(self)
        self.channel = QWebChannel(self.page)
        self.channel.registerObject("bridge", self.bridge)
        self.page.setWebChannel(self.channel)
        events = self.bridge.events
        events.clicked.connect(lambda row: self.session.select([row]))
        events.lassoed.connect(self._lassoed)
        events.thumbnail_wanted.connect(self._thumbnail_wanted)
        events.ready.connect(self.page_ready)
        self.controls = MapControls()
        self.links = MapLinks(self, self.session, self.controls)
        self.atlas = MapAtlas(self.bridge, self.controller, self)
        self.controls.images.toggled.connect(self.atlas.set_enabled)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.controls)
        layout.addWidget(self.web, 1)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Compute lazily: only when the map is actually looked at."""
        super().showEvent(event)
        if self._stale:
            self.compute()

    def compute(self) -> None:
        """Run t-SNE and build the page in the background (progress in the status bar)."""
        emb = self.session.embeddings
        if emb is None or len(emb) < MIN_POINTS:
            self.info.setText("Open a folder with at least 3 images to see its map.")
            return
        self._stale = False
        self.info.setText(f"Computing the t-SNE map of {len(emb):,} images…")
        self._count += 1
        target = Path(self._tmp.name) / f"map-{self._count}.html"
        dark, channel_js = is_dark(), self._channel_js

        request = MapRequest(
            emb.vectors, tuple(emb.paths), tuple(emb.labels), dark, PAGE_SCRIPT + LINK_SCRIPT
        )

        def job(progress: ProgressFn, cancel: threading.Event) -> tuple[Projection, Path]:
            proj, html = map_page_in_child(request, progress, cancel)  # the GIL stays free for the UI
            target.write_text(wrap_map_page(html, channel_js), encoding="utf-8")
            return proj, target

        self.controller.run("map", job, self._show)

    def _show(self, result: tuple[Projection, Path]) -> None:
        self.projection, path = result
        emb = self.session.embeddings
        self.bridge.n_rows = len(emb) if emb is not None else 0
        shown = len(self.projection.indices)
        note = f"{shown:,} images"
        if self.projection.subsampled:
            note = f"{shown:,} of {self.projection.n_total:,} images (random sample: t-SNE stays interactive)"
        if shown > WEBGL_ABOVE:
            note += " · WebGL"
        self.info.setText(note + " · click a point to select it, lasso to send points to the gallery")
        url = QUrl.fromLocalFile(str(path))
        self.links.unload()
        if emb is not None:
            self.atlas.set_map(self.projection, partial(_abs_path, emb))
        self.page.allowed = url
        self.web.load(url)

    def _folder_changed(self, emb: FolderEmbeddings | None) -> None:
        self._stale = True
        self.projection = None
        self.atlas.set_map(None, None)
        self.lassoed_rows = []
        self.bridge.n_rows = 0
        self.page.allowed = QUrl("about:blank")
        self.web.setUrl(QUrl("about:blank"))
        self.info.setText("The map is computed when you open this tab.")
        if emb is not None and self.isVisible():
            self.compute()

    def _lassoed(self, rows: list[int]) -> None:
        self.lassoed_rows = sorted(set(rows))
        if rows:
            self.session.show_subset(rows)

    def _thumbnail_wanted(self, row: int) -> None:
        emb = self.session.embeddings
        if emb is None or row >= len(emb):
            return
        path = str(emb.abs_path(row))
        self._waiting_thumb = {path: row}
        if self.thumbs.pixmap(path) is not None:
            self._thumbnail_ready(path)

    def _thumbnail_ready(self, path: str) -> None:
        row = self._waiting_thumb.pop(path, None)
        pix = self.thumbs.pixmap(path) if row is not None else None
        if row is None or pix is None:
            return
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        pix.save(buf, "PNG")
        buf.close()
        self.bridge.thumbnailReady.emit(
            row, "data:image/png;base64," + bytes(data.toBase64().data()).decode()
        )

    def shutdown(self) -> None:
        """Drop the page before the profile goes, and remove the temporary map files."""
        self.links.colours.shutdown()
        # Now, not later: the web profile must outlive its pages, and no event loop may follow.
        if shiboken6.isValid(self.page):
            shiboken6.delete(self.page)
        if shiboken6.isValid(self.web):
            shiboken6.delete(self.web)
        self._tmp.cleanup()


def _abs_path(emb: FolderEmbeddings, row: int) -> str:
    return str(emb.abs_path(row))
