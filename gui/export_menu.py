"""File → Export: neighbours of the selection, matching pairs, duplicate groups, the heat-map matrix.

Each entry asks for a file (CSV or JSON, by the name's suffix or the chosen filter), then the engine
builds and writes the table in the background.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from lookalike.engine.duplicates.keep_rules import KeepRule
from lookalike.engine.duplicates.listing import DuplicateListing, list_duplicates
from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.io.exports import (
    ExportTable,
    distance_matrix_table,
    duplicate_groups_table,
    matching_pairs_table,
    neighbours_table,
    write_export,
)
from lookalike.gui.controller import Controller
from lookalike.gui.state.session import Session
from lookalike.gui.widgets.workers import ProgressFn
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

FILTERS = {"CSV (*.csv)": ".csv", "JSON (*.json)": ".json"}
KINDS = {
    "neighbours": ("Neighbours of the selection…", "neighbours"),
    "pairs": ("Matching pairs at the threshold…", "matching-pairs"),
    "duplicates": ("Duplicate groups…", "duplicates"),
    "matrix": ("Distance matrix of the selection (heat map)…", "distances"),
}


class ExportMenu(QObject):
    """Builds the Export submenu; `exported(path)` fires when a file is written."""

    exported = Signal(str)

    def __init__(
        self,
        session: Session,
        controller: Controller,
        k: Callable[[], int],
        listing: Callable[[], DuplicateListing | None],
        keep_rule: Callable[[], KeepRule],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.session, self.controller = session, controller
        self.k, self.listing, self.keep_rule = k, listing, keep_rule
        self.dialog: QFileDialog | None = None
        self.entries: dict[str, QAction] = {}

    def fill(self, menu: QMenu) -> None:
        """Add one entry per kind of export."""
        for kind, (text, _stem) in KINDS.items():
            action = menu.addAction(text)
            action.triggered.connect(partial(self.ask, kind))
            self.entries[kind] = action

    def ask(self, kind: str) -> None:
        """Ask where to save (a non-blocking dialog), then export."""
        problem = self._problem(kind)
        if problem:
            self.controller.failed.emit("Export", problem)
            return
        parent = self.parent()
        assert isinstance(parent, QWidget)
        start = Path(self.session.folder or Path.home()).parent / f"{KINDS[kind][1]}.csv"
        dialog = QFileDialog(parent, "Export as CSV or JSON", str(start))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(list(FILTERS))
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(
            lambda name: self.export(kind, _with_suffix(name, dialog.selectedNameFilter()))
        )
        self.dialog = dialog
        dialog.open()

    def export(self, kind: str, path: Path) -> None:
        """Build and write one export in the background."""
        emb = self.session.embeddings
        if emb is None:
            return
        build = self._builder(kind, emb)

        def job(progress: ProgressFn, cancel: threading.Event) -> Path:
            return write_export(build(), path, reads=[emb.folder])  # never inside the folder shown

        self.controller.run("export", job, self._written, partial(self._failed, path))

    def _builder(self, kind: str, emb: FolderEmbeddings) -> Callable[[], ExportTable]:
        t, rows = self.session.threshold, list(self.session.selection)
        if kind == "neighbours":
            return partial(neighbours_table, emb, rows, self.k(), t)
        if kind == "pairs":
            return partial(matching_pairs_table, emb, t)
        if kind == "matrix":
            return partial(distance_matrix_table, emb, rows, t)
        shown = self.listing()  # the Duplicates tab's groups, at the model's duplicate thresholds
        if shown is not None:
            return partial(duplicate_groups_table, shown)
        rule, embedder = self.keep_rule(), self.session.embedder
        if embedder is None:
            return lambda: duplicate_groups_table(_listed(list_duplicates(emb, t, rule)))
        choice = embedder.manifest.duplicate_choice
        return lambda: duplicate_groups_table(
            _listed(list_duplicates(emb, choice.embedding, rule, picture=choice.check))
        )

    def _problem(self, kind: str) -> str:
        n = len(self.session.selection)
        if self.session.embeddings is None:
            return "Open a folder first."
        if kind == "neighbours" and n < 1:
            return "Select at least one image to export its neighbours."
        if kind == "matrix" and n < 2:
            return "Select at least two images to export their distance matrix."
        return ""

    def _written(self, path: Path) -> None:
        self.controller.notice.emit(f"Exported {path}")
        self.exported.emit(str(path))

    def _failed(self, path: Path, exc: BaseException) -> None:
        self.controller.failed.emit("Export", f"Could not write {path.name}: {exc}")


def _listed(listing: DuplicateListing | None) -> DuplicateListing:
    if listing is None:
        raise RuntimeError("grouping was cancelled")
    return listing


def _with_suffix(name: str, name_filter: str) -> Path:
    """The typed name, with the chosen filter's suffix when it has neither .csv nor .json."""
    path = Path(name)
    return (
        path if path.suffix.lower() in FILTERS.values() else path.with_name(path.name + FILTERS[name_filter])
    )
