"""The linked map: the app's selection highlighted on the map, points coloured by class, by distance
to the selected image or by match at the threshold, a file-name search, and the map's exports.

The page is driven with runJavaScript calls that carry only row numbers, numbers and colours built
here (engine/map/colours.py); names are matched in Python and never reach the page as script.
"""

from __future__ import annotations

import base64
import json
import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shiboken6
from lookalike.engine.errors import LookalikeError
from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.io.output_paths import check_output_path, write_output
from lookalike.engine.map.colours import cluster_colours, match_colours
from lookalike.engine.map.export import selection_records, write_map_html, write_selection
from lookalike.engine.map.projection import Projection
from lookalike.engine.search.distances import distances_to
from lookalike.gui.state.session import Session
from lookalike.gui.widgets.workers import LatestOnly, ProgressFn
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
)

if TYPE_CHECKING:
    from lookalike.gui.map.view import MapView

PNG_PREFIX = "data:image/png;base64,"
PNG_POLL_MS = 50
PNG_MAX_POLLS = 400
PNG_SCRIPT = (
    "window.__lookalikePng = null; Plotly.toImage(document.getElementById('map'),"
    " {format: 'png', width: 1400, height: 1000, scale: 1}).then("
    "function (u) { window.__lookalikePng = u; }, function (e) { window.__lookalikePng = 'error: ' + e; }); 1"
)

COLOUR_MODES = {
    "class": "Colour: class",
    "distance": "Colour: distance to the selected image",
    "match": "Colour: match at the threshold",
    "cluster": "Colour: cluster of similar images",
}


def colour_script(mode: str, vectors: np.ndarray, row: int, threshold: float) -> str:
    """The page call that colours every point by distance to `row` or by match at `threshold`."""
    if mode == "distance":
        dist = distances_to(vectors, vectors[row])
        values = json.dumps([round(float(d), 5) for d in dist])
        return f"window.lookalikeColourValues({values}, 0, {float(dist.max()) or 1.0})"
    return f"window.lookalikeColourList({json.dumps(match_colours(vectors, row, threshold))})"


class MapControls(QWidget):
    """Colour mode, file-name search and the Export menu, above the map."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = QComboBox()
        for key, text in COLOUR_MODES.items():
            self.colour.addItem(text, key)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a file or class on the map…")
        self.search.setClearButtonEnabled(True)
        self.found = QLabel()
        self.images = QCheckBox("Images")
        self.images.setChecked(True)
        self.images.setToolTip("Thumbnails at their places on the map; zoom in to see more of them")
        self.export = QToolButton()
        self.export.setText("Export")
        self.export.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export)
        self.export.setMenu(self.export_menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.colour, self.images, self.search, self.found, self.export):
            layout.addWidget(w)


class MapLinks(QObject):
    """Keeps the page in step with the session; `applied` fires after each push to the page."""

    applied = Signal()
    exported = Signal(object)  # the Path written (a PNG is drawn by the page, so it comes later)

    def __init__(self, view: MapView, session: Session, controls: MapControls) -> None:
        super().__init__(view)
        self.view, self.session, self.controls = view, session, controls
        self.ready = False
        self.search_rows: list[int] = []
        self.colours = LatestOnly("map-colours", 1, self)
        self.clusters: list[str] | None = None  # one colour per row, computed once per folder
        self._png_tries = 0
        controls.colour.currentIndexChanged.connect(lambda _i: self._colour())
        controls.search.textChanged.connect(self._search)
        for text, kind in (
            ("Map as HTML page…", "html"),
            ("Map as PNG image…", "png"),
            ("Lasso selection as CSV…", "csv"),
            ("Lasso selection as JSON…", "json"),
        ):
            controls.export_menu.addAction(text, partial(self.choose_export, kind))
        view.page_ready.connect(self._page_ready)
        session.selection_changed.connect(lambda _rows: self._selection())
        session.threshold_changed.connect(lambda _t: self._colour() if self.mode == "match" else None)
        session.folder_changed.connect(lambda _e: self._unload())

    @property
    def mode(self) -> str:
        """The colour mode: class, distance or match."""
        return str(self.controls.colour.currentData())

    def set_mode(self, mode: str) -> None:
        """Choose the colour mode (as the combo box does)."""
        self.controls.colour.setCurrentIndex(list(COLOUR_MODES).index(mode))

    def unload(self) -> None:
        """The page is being replaced: nothing can be pushed until the next one is ready."""
        self.ready = False

    def _unload(self) -> None:
        self.colours.drop()
        self.unload()
        self.search_rows = []
        self.clusters = None
        self.controls.found.setText("")

    def _page_ready(self) -> None:
        self.ready = True
        self._selection()
        self._search(self.controls.search.text())

    def _run(self, script: str) -> None:
        if self.ready:
            self.view.page.runJavaScript(script, 0)
            self.applied.emit()

    def _selection(self) -> None:
        self._run(f"window.lookalikeMark('selection', {json.dumps(self.session.selection)})")
        self._colour()

    def _colour(self) -> None:
        """Class colours at once; distance and match colours (a pass over every image and a list of
        them for the page) in a worker, the newest request only."""
        emb, rows = self.session.embeddings, self.session.selection
        if emb is not None and self.mode == "cluster":
            self.colours.drop()
            self._colour_clusters(emb.vectors)
            return
        if emb is None or self.mode == "class" or not rows:
            self.colours.drop()
            self._run("window.lookalikeColourClasses()")
            return
        mode, vectors, row, threshold = self.mode, emb.vectors, rows[0], self.session.threshold

        def job(_progress: ProgressFn, _cancel: threading.Event) -> str:
            return colour_script(mode, vectors, row, threshold)

        self.colours.start(job, self._run, lambda exc: self.view.controller.failed.emit("Map", str(exc)))

    def _colour_clusters(self, vectors: np.ndarray) -> None:
        if self.clusters is not None:
            self._run(f"window.lookalikeColourList({json.dumps(self.clusters)})")
            return
        emb = self.session.embeddings
        self.view.controller.run(
            "map-clusters", lambda p, c: cluster_colours(vectors), partial(self._clustered, emb)
        )

    def _clustered(self, emb: object, colours: list[str]) -> None:
        if emb is self.session.embeddings:
            self.clusters = colours
            if self.mode == "cluster":
                self._colour()

    def _search(self, text: str) -> None:
        emb, needle = self.session.embeddings, text.strip().lower()
        self.search_rows = (
            [i for i, p in enumerate(emb.paths) if needle in p.lower()] if emb is not None and needle else []
        )
        self.controls.found.setText(f"{len(self.search_rows)} found" if needle else "")
        self._run(f"window.lookalikeMark('search', {json.dumps(self.search_rows)})")

    def choose_export(self, kind: str) -> None:
        """Export menu: ask where, then write."""
        filters = {"html": "Web page (*.html)", "png": "PNG image (*.png)", "csv": "CSV (*.csv)"}
        name, _ = QFileDialog.getSaveFileName(
            self.view, "Export the map", f"map.{kind}", filters.get(kind, "JSON (*.json)")
        )
        if name:
            self.export(kind, Path(name))

    def export(self, kind: str, out: Path) -> Path | None:
        """Write the map (html, png: in the background, `exported` says when) or the lasso selection
        (csv, json: now); None when there is nothing.

        A name without the kind's suffix gets it added (never swapped for it), and every file goes
        through the output guard: never inside the folder shown, never half written."""
        emb, proj = self.session.embeddings, self.view.projection
        if emb is None or proj is None:
            self.view.controller.failed.emit("Export", "Compute the map first.")
            return None
        out = with_suffix(out, kind)
        try:
            if kind in ("png", "html"):
                check_output_path(out, reads=[emb.folder], suffixes=[f".{kind}"], flag="export", force=True)
                if kind == "png":
                    self._start_png(out)
                else:
                    self._start_html(proj, emb, out)
                return out
            if not self.view.lassoed_rows:
                self.view.controller.failed.emit("Export", "Lasso some points on the map first.")
                return None
            records = selection_records(self.view.lassoed_rows, proj, emb.paths, emb.labels)
            written = write_selection(records, out, reads=[emb.folder])
        except (LookalikeError, ValueError) as exc:
            self.view.controller.failed.emit("Export", str(exc))
            return None
        self.exported.emit(written)
        return written

    def _start_html(self, proj: Projection, emb: FolderEmbeddings, out: Path) -> None:
        """The plotly figure and its multi-megabyte page are built and written in a worker; a newer
        export replaces one still running (its late result is dropped by the controller)."""
        paths, labels, title = emb.paths, emb.labels, f"t-SNE map of {emb.folder.name}"
        folder = emb.folder

        def job(_progress: ProgressFn, _cancel: threading.Event) -> Path:
            return write_map_html(proj, paths, labels, out, title, reads=[folder])

        self.view.controller.run("map-export", job, self.exported.emit)

    def _start_png(self, out: Path) -> None:
        """plotly draws the PNG in the page (a widget grab is blank off screen); poll until it is done."""
        self._png_tries = 0
        self.view.page.runJavaScript(PNG_SCRIPT, 0)
        QTimer.singleShot(PNG_POLL_MS, lambda: self._poll_png(out))

    def _poll_png(self, out: Path) -> None:
        if not shiboken6.isValid(self.view.page):
            return
        self.view.page.runJavaScript("window.__lookalikePng", 0, lambda v: self._png_polled(out, v))

    def _png_polled(self, out: Path, value: object) -> None:
        self._png_tries += 1
        if isinstance(value, str) and value.startswith(PNG_PREFIX):
            data = base64.b64decode(value[len(PNG_PREFIX) :], validate=True)
            try:
                write_output(out, lambda fh: fh.write(data), "export")
            except LookalikeError as exc:
                self.view.controller.failed.emit("Export", str(exc))
                return
            self.exported.emit(out)
        elif not value and self._png_tries < PNG_MAX_POLLS:  # null arrives as "" or None
            QTimer.singleShot(PNG_POLL_MS, lambda: self._poll_png(out))
        else:
            self.view.controller.failed.emit("Export", f"The page could not draw the map as PNG: {value}")


def with_suffix(path: Path, kind: str) -> Path:
    """The chosen name with the export kind's suffix added when it has another (map.html.csv)."""
    suffixes = (".html", ".htm") if kind == "html" else ("." + kind,)
    return path if path.suffix.lower() in suffixes else path.with_name(path.name + suffixes[0])
