"""Work → Marked pairs: list the folder's marks, remove or undo them, export them."""

from __future__ import annotations

import time
from pathlib import Path

from lookalike.gui.teaching.pair_marks_model import PairMarksModel
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("Image A", "Image B", "Marked as", "When")


class MarksDialog(QDialog):
    """A table of marks with Remove, Undo and Export (JSON or CSV)."""

    def __init__(self, marks: PairMarksModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Marked pairs")
        self.resize(760, 420)
        self.model = marks
        self.summary = QLabel()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QHBoxLayout()
        for text, slot in (
            ("Remove selected", self.remove_selected),
            ("Undo", marks.undo),
            ("Export…", self.choose_export),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(close)
        marks.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the marks as they are now."""
        marks = self.model.marks()
        self.table.setRowCount(len(marks))
        for row, m in enumerate(marks):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(m.created))
            verdict = "is a match" if m.is_match else "not a match"
            for col, text in enumerate((m.a, m.b, verdict, when)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        n_match = sum(m.is_match for m in marks)
        folder = self.model.folder.name if self.model.folder else "no folder"
        self.summary.setText(
            f"{folder}: {len(marks)} marked pair(s), {n_match} match, {len(marks) - n_match} not a match"
        )

    def remove_selected(self) -> None:
        """Forget the selected marks."""
        marks = self.model.marks()
        for row in sorted({i.row() for i in self.table.selectionModel().selectedRows()}, reverse=True):
            self.model.unmark(marks[row].a, marks[row].b)

    def choose_export(self) -> QFileDialog:
        """Ask where, then export (CSV when the name ends in .csv, else JSON)."""
        return ask_marks_export(self, self.model)


def ask_marks_export(parent: QWidget, marks: PairMarksModel) -> QFileDialog:
    """A non-blocking save dialog (File → Export and the Marked pairs window share it)."""
    folder = marks.folder
    start = (folder.parent if folder else Path.home()) / f"{folder.name if folder else 'folder'}-marks.json"
    dialog = QFileDialog(parent, "Export marked pairs", str(start))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilters(["JSON (*.json)", "CSV (*.csv)"])
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.fileSelected.connect(lambda name: marks.export(_with_suffix(name, dialog.selectedNameFilter())))
    dialog.open()
    return dialog


def _with_suffix(name: str, name_filter: str) -> Path:
    path = Path(name)
    if path.suffix.lower() in (".json", ".csv"):
        return path
    return path.with_name(path.name + (".csv" if "csv" in name_filter.lower() else ".json"))
