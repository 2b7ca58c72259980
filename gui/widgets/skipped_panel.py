"""Files of the open folder that could not be used, each with its reason (the scan goes on)."""

from __future__ import annotations

from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.folder.scan import SkippedFile
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget


class SkippedPanel(QWidget):
    """A two-column table: file (relative to the folder) and why it was skipped."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("No folder open.")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["File", "Reason"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.skipped: list[SkippedFile] = []

    def show_result(self, emb: FolderEmbeddings | None) -> None:
        """List the skipped files of a finished (or stopped) scan."""
        self.skipped = [] if emb is None else list(emb.skipped)
        self.table.setRowCount(len(self.skipped))
        for i, s in enumerate(self.skipped):
            self.table.setItem(i, 0, QTableWidgetItem(s.path))
            self.table.setItem(i, 1, QTableWidgetItem(s.reason))
        if emb is None:
            self.summary.setText("No folder open.")
        else:
            self.summary.setText(f"{len(emb):,} images used, {len(self.skipped):,} files skipped.")
