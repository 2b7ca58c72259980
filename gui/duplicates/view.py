"""Duplicates: groups of images closer than the threshold, largest first, one proposed to keep.

The others are moved away (trash or folder, confirmed, undoable) by the DuplicateMover.
"""

from __future__ import annotations

import threading
from pathlib import Path

from lookalike.engine.duplicates.groups import TooManyPairsError
from lookalike.engine.duplicates.keep_rules import KEEP_RULES, RULE_NAMES, KeepRule
from lookalike.engine.duplicates.listing import DuplicateGroup, DuplicateListing, list_duplicates
from lookalike.engine.job_hooks import JobHooks
from lookalike.gui.controller import Controller
from lookalike.gui.duplicates.mover import DuplicateMover
from lookalike.gui.duplicates.rows_model import COLUMNS, GROUP_ROLE, PATH_ROLE, DuplicateRows
from lookalike.gui.gallery.thumbnail_loader import ThumbnailLoader
from lookalike.gui.heap import collection_paused
from lookalike.gui.state.session import Session
from lookalike.gui.widgets.workers import ProgressFn
from PySide6.QtCore import QModelIndex, QSize, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

ICON = 48  # thumbnails in the table (scaled from the gallery's)
REFRESH_MS = 400  # threshold slider settles before regrouping


class DuplicatesView(QWidget):
    """Lists the groups largest first; acts on the selected groups, or on all when none is selected."""

    listed = Signal(object)  # DuplicateListing, once the table shows it
    open_requested = Signal(str)

    def __init__(
        self, session: Session, controller: Controller, thumbs: ThumbnailLoader, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.controller, self.thumbs = session, controller, thumbs
        self.listing: DuplicateListing | None = None
        self.mover = DuplicateMover(session, controller, self)
        self.mover.undo_changed.connect(self._update_buttons)
        self.rows = DuplicateRows(thumbs, self)
        self._stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.compute)
        self._build()
        session.folder_changed.connect(lambda _e: self._invalidate(clear=True))

    def _build(self) -> None:
        self.summary = QLabel("Open a folder to find its duplicates.")
        self.summary.setWordWrap(True)
        self.rule = QComboBox()
        for rule in KEEP_RULES:
            self.rule.addItem(RULE_NAMES[rule], rule)
        self.rule.currentIndexChanged.connect(self._rule_changed)
        self.trash_button = QPushButton("Move others to trash…")
        self.trash_button.clicked.connect(lambda: self.mover.ask_trash(self.chosen_groups()))
        self.folder_button = QPushButton("Move others to folder…")
        self.folder_button.clicked.connect(lambda: self.mover.ask_folder(self.chosen_groups()))
        self.undo_button = QPushButton("Undo last move")
        self.undo_button.clicked.connect(self.mover.undo)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Keep:"))
        for w in (self.rule, self.trash_button, self.folder_button, self.undo_button):
            bar.addWidget(w)
        bar.addStretch(1)
        self.table = QTableView()
        self.table.setModel(self.rows)
        self.table.setIconSize(QSize(ICON, ICON))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform: no per-row measuring
        rows.setDefaultSectionSize(ICON + 4)
        columns = self.table.horizontalHeader()
        columns.setStretchLastSection(True)
        columns.setResizeContentsPrecision(0)  # fit columns to the rows on screen, not 1,000 of them
        self.table.doubleClicked.connect(self._double_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self._update_buttons()

    @property
    def keep_rule(self) -> KeepRule:
        """The rule picked in the combo box."""
        rule: KeepRule = self.rule.currentData()
        return rule

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Group lazily: only when the tab is looked at."""
        super().showEvent(event)
        if self._stale:
            self.compute()

    def compute(self) -> None:
        """Group the folder at the model's duplicate ("same picture") thresholds in the background.

        Not the match slider's threshold: that one means "same class", and at it different
        pictures of one class would be proposed for the trash.
        """
        emb, embedder = self.session.embeddings, self.session.embedder
        if emb is None or embedder is None or len(emb) < 2:
            return
        self._stale = False
        choice, rule = embedder.manifest.duplicate_choice, self.keep_rule
        self.summary.setText("Looking for duplicates (the same picture)…")

        def job(progress: ProgressFn, cancel: threading.Event) -> DuplicateListing | None:
            hooks = JobHooks(progress, cancel.is_set)
            # Its bookkeeping (a record per picture) made full collections of 30+ ms at 30,000
            # images, in this thread with the GIL held; paused, the same peak memory (gui.heap).
            with collection_paused():
                return list_duplicates(emb, choice.embedding, rule, hooks=hooks, picture=choice.check)

        self.controller.run("duplicates", job, self._show, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.listing = None
        self._fill()
        if isinstance(exc, TooManyPairsError):
            self.summary.setText(f"No duplicate groups: {exc}")
        else:
            self.controller.failed.emit("Duplicates", f"{type(exc).__name__}: {exc}")

    def _invalidate(self, clear: bool) -> None:
        self._stale = True
        self.controller.cancel("duplicates")
        if clear:
            self.listing = None
            self._fill()
        if self.isVisible() and self.session.embeddings is not None:
            self._timer.start()

    def _rule_changed(self) -> None:
        if self.listing is not None:
            self._show(self.listing.with_rule(self.keep_rule))

    def _show(self, listing: DuplicateListing | None) -> None:
        if listing is None:
            return
        self.listing = listing
        self._fill()

    def _fill(self) -> None:
        """Show the listing: one model reset, the cells made as the table paints them."""
        listing, emb = self.listing, self.session.embeddings
        shown = listing if emb is not None else None
        self.rows.show(shown, str(emb.folder) if emb is not None else "")
        if listing is None or emb is None:
            self.summary.setText("Open a folder to find its duplicates.")
            self._update_buttons()
            return
        moving = sum(len(g.moving()) for g in listing.groups)
        rule = f"embedding distance < {listing.threshold:.4f}"
        if listing.pixel_gate is not None:
            rule += f", 16×16 pixels < {listing.pixel_gate:.4f}"
        if listing.picture_threshold is not None:
            rule += f" and picture check < {listing.picture_threshold:.4f}"
        source = self.session.embedder.manifest.duplicate_choice.label if self.session.embedder else ""
        self.summary.setText(
            f"{len(listing.groups)} group(s), {moving} image(s) proposed to move: the same picture "
            f"({rule} for every pair in a group; {source})."
            if listing.groups
            else f"No duplicates ({rule}; {source})."
        )
        self._update_buttons()
        for col in range(len(COLUMNS) - 1):
            self.table.resizeColumnToContents(col)
        self.listed.emit(listing)

    def row_of(self, rel_path: str) -> int | None:
        """The table row of an image of the listing (by folder-relative path), if it is listed."""
        return self.rows.row_of(rel_path)

    def chosen_groups(self) -> list[DuplicateGroup]:
        """The groups an action applies to: those with a selected row, else every group."""
        if self.listing is None:
            return []
        picked = sorted({int(i.data(GROUP_ROLE)) for i in self.table.selectionModel().selectedRows()})
        return [self.listing.groups[i] for i in picked] if picked else list(self.listing.groups)

    def paths_to_move(self) -> list[Path]:
        """Absolute paths of the images the action would move (all but the kept one per group)."""
        emb = self.session.embeddings
        if emb is None:
            return []
        return [emb.folder / rel for g in self.chosen_groups() for rel in g.others()]

    def _update_buttons(self) -> None:
        has_groups = bool(self.listing and self.listing.groups) and not self.mover.busy
        self.trash_button.setEnabled(has_groups)
        self.folder_button.setEnabled(has_groups)
        record = self.mover.last_record
        self.undo_button.setEnabled(record is not None and not self.mover.busy)
        if record is not None:
            self.undo_button.setText(f"Undo: put back {len(record.moved)} image(s)")
        else:
            self.undo_button.setText("Undo last move")

    def _double_clicked(self, index: QModelIndex) -> None:
        path = index.data(PATH_ROLE)
        if path:
            self.open_requested.emit(str(path))


def duplicate_paths(indexes: list[QModelIndex]) -> list[str]:
    """Image paths of table rows (group rows have none), for the per-image actions."""
    paths = [index.data(PATH_ROLE) for index in indexes]
    return list(dict.fromkeys(str(p) for p in paths if p))
