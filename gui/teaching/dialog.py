"""Work → Teach the model on this folder: budget, progress per epoch, before/after, switch model."""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path
from typing import Any

from lookalike.engine.teaching.teach_run import HeldOutFigures, TeachPlan, new_run_paths
from lookalike.engine.teaching.teach_verdict import TeachVerdict, compare_models
from lookalike.gui.teaching.teacher import Teacher, TeachResult
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

DEFAULT_MINUTES = 3.0
DEFAULT_BACKBONE = "(the training command's default)"
START_FRESH = "the ImageNet backbone (a fresh run)"
# Whether a teach continues the current model by default (bench/model/teach_quality.py).
START_FROM_CURRENT = False
COLUMNS = ("Epoch", "Held-out p@1", "Held-out MAP@R", "Images/s")


def backbones(train_help: str) -> list[str]:
    """The --backbone choices `lookalike train --help` lists (none on installs without it)."""
    found = re.search(r"--backbone\s+\{([^}]*)\}", train_help)
    return [c.strip() for c in found.group(1).split(",")] if found else []


class TeachDialog(QDialog):
    """Shows one teaching run; the Teacher does the work."""

    switch_requested = Signal(str)  # path of the new model
    options_read = Signal(list)  # the --backbone choices found (empty: the option does not exist)

    def __init__(
        self,
        teacher: Teacher,
        folder: Path,
        summary: str,
        marks_file: Path | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Teach the model on {folder.name}")
        self.resize(640, 560)
        self.teacher, self.folder, self.marks_file = teacher, folder, marks_file
        self.run_dir, model_out = new_run_paths(folder)
        self.taught: TeachResult | None = None
        self.before: HeldOutFigures | None = None
        self._started_at = 0.0
        self._build(summary, model_out)
        teacher.status.connect(self.status.setText)
        teacher.before.connect(self._show_before)
        teacher.epoch.connect(self._add_epoch)
        teacher.ended_because.connect(lambda reason: self.ended.setText(f"Training ended: {reason}"))
        teacher.finished.connect(self._finished)
        teacher.failed.connect(self._failed)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)

    def _build(self, summary: str, model_out: Path) -> None:
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.1, 240.0)
        self.minutes.setDecimals(1)
        self.minutes.setValue(DEFAULT_MINUTES)
        self.minutes.setSuffix(" min")
        self.backbone = QComboBox()
        self.backbone.setEnabled(False)
        self.backbone.setToolTip("Offered when this install's `lookalike train` has --backbone")
        self.start_from = QComboBox()
        self.start_from.setEnabled(False)
        self.start_from.setToolTip(
            "Continue the current model, or a fresh run from the backbone (offered for hybrid models "
            "when this install's `lookalike train` has --start-from)"
        )
        self._start_model: Path | None = None
        self.extra = QLineEdit()
        self.extra.setPlaceholderText("more `lookalike train` options, e.g. --image-size 64")
        self.save_to = QLineEdit(str(model_out))
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose_output)
        where = QHBoxLayout()
        where.addWidget(self.save_to, 1)
        where.addWidget(choose)
        form = QFormLayout()
        form.addRow("Time budget", self.minutes)
        form.addRow("Backbone", self.backbone)
        form.addRow("Start from", self.start_from)
        form.addRow("Options", self.extra)
        form.addRow("Save the model as", where)
        self.start_button = QPushButton("Start teaching")
        self.stop_button = QPushButton("Stop and keep the best so far")
        self.stop_button.setEnabled(False)
        self.switch_button = QPushButton("Switch to the new model")
        self.switch_button.setEnabled(False)
        self.keep_button = QPushButton("Keep the starting model")
        self.keep_button.setVisible(False)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.teacher.stop)
        self.switch_button.clicked.connect(self._switch)
        self.keep_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.switch_button, self.keep_button):
            b.setAutoDefault(False)  # Enter presses only the button _offer makes the default
            buttons.addWidget(b)
        self.elapsed = QProgressBar()
        self.elapsed.setFormat("%v / %m s")
        self.status = QLabel("Classes are split: some train the model, others are held out to judge it.")
        self.status.setWordWrap(True)
        self.ended = QLabel()  # why training ended; stays when later steps change the status
        self.ended.setWordWrap(True)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setStyleSheet("font-size: 12pt;")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(summary))
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.elapsed)
        layout.addWidget(self.status)
        layout.addWidget(self.ended)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.verdict)
        layout.addWidget(self.outcome)

    def offer_start(self, model: Path | None) -> None:
        """The current model, when a run can start from it (a hybrid); None: fresh runs only."""
        self._start_model = model

    def offer_backbones(self, train_help: str) -> None:
        """Fill the backbone and start choices from `lookalike train --help` (read off the UI thread)."""
        choices = backbones(train_help)
        self.backbone.clear()
        self.backbone.addItems([DEFAULT_BACKBONE, *choices])
        self.backbone.setEnabled(bool(choices))
        self.start_from.clear()
        if self._start_model is not None and "--start-from" in train_help:
            self.start_from.addItem(
                f"the current model ({self._start_model.name}): continue it", str(self._start_model)
            )
        self.start_from.addItem(START_FRESH, "")
        self.start_from.setEnabled(self.start_from.count() > 1)
        self.start_from.setCurrentIndex(0 if START_FROM_CURRENT else self.start_from.count() - 1)
        self.options_read.emit(choices)

    def plan(self) -> TeachPlan:
        """The run as set up in the dialog."""
        extra = shlex.split(self.extra.text())
        backbone = self.backbone.currentText() if self.backbone.isEnabled() else DEFAULT_BACKBONE
        if backbone != DEFAULT_BACKBONE:
            extra = ["--backbone", backbone, *extra]
        start = self.start_from.currentData() if self.start_from.isEnabled() else ""
        if start and backbone in (DEFAULT_BACKBONE, "hybrid"):  # only a hybrid run starts from a model
            extra = ["--start-from", start, *extra]
        return TeachPlan(self.folder, self.run_dir, self.minutes.value(), self.marks_file, tuple(extra))

    def start(self) -> None:
        """Start the run."""
        self.table.setRowCount(0)
        for label in (self.outcome, self.verdict, self.ended):
            label.setText("")
        self.elapsed.setFormat("%v / %m s")
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._started_at = time.monotonic()
        self.elapsed.setRange(0, round(self.minutes.value() * 60))
        self.timer.start(1000)
        self.teacher.start(self.plan(), Path(self.save_to.text()).expanduser())

    def _tick(self) -> None:
        self.elapsed.setValue(min(self.elapsed.maximum(), round(time.monotonic() - self._started_at)))

    def _show_before(self, figures: HeldOutFigures | None) -> None:
        self.before = figures
        self.table.insertRow(0)
        values = ("starting model", *_cells(figures), "")
        for col, text in enumerate(values):
            self.table.setItem(0, col, QTableWidgetItem(text))

    def _add_epoch(self, row: dict[str, Any]) -> None:
        n = self.table.rowCount()
        self.table.insertRow(n)
        p1, mapr = row.get("precision_at_1"), row.get("mean_average_precision_at_r")
        speed = row.get("images_per_s")
        values = (str(row.get("epoch", n)), _num(p1), _num(mapr), f"{speed:.0f}" if speed else "")
        for col, text in enumerate(values):
            self.table.setItem(n, col, QTableWidgetItem(text))
        self.table.scrollToBottom()

    def _finished(self, result: TeachResult) -> None:
        self.taught = result
        self.timer.stop()
        ran = round(time.monotonic() - self._started_at)
        budget = self.elapsed.maximum()
        self.elapsed.setRange(0, max(ran, 1))  # the bar ends at what really ran, not at the budget
        self.elapsed.setValue(max(ran, 1))
        self.elapsed.setFormat(f"ran {ran} s of the {budget} s budget")
        self.ended.setText(f"Training ended: {result.ended_because}")
        self.stop_button.setEnabled(False)
        verdict = compare_models(result.before, result.after)
        self.verdict.setText(verdict.text)
        colour = {"better": "#1b7f3b", "worse": "#b3261e"}.get(verdict.kind, "#8a5a00")
        self.verdict.setStyleSheet(f"font-size: 12pt; font-weight: bold; color: {colour};")
        self.outcome.setText(outcome_text(result))
        self._offer(verdict)

    def _offer(self, verdict: TeachVerdict) -> None:
        """Switching is the default only for a better model; otherwise keeping the starting one is."""
        better = verdict.switch_by_default
        self.switch_button.setEnabled(True)
        self.switch_button.setText("Switch to the new model" if better else "Use the taught model anyway")
        self.keep_button.setVisible(not better)
        self.switch_button.setDefault(better)
        self.keep_button.setDefault(not better)
        (self.switch_button if better else self.keep_button).setFocus()

    def _failed(self, message: str) -> None:
        self.timer.stop()
        self.stop_button.setEnabled(False)
        self.start_button.setEnabled(True)
        self.outcome.setText(f"Not taught: {message}")

    def _switch(self) -> None:
        if self.taught is not None:
            self.switch_requested.emit(str(self.taught.model))
            self.switch_button.setEnabled(False)
            self.switch_button.setText("Switched (File → Previous model goes back)")
            self.keep_button.setVisible(False)

    def _choose_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the taught model", self.save_to.text(), "*.onnx")
        if path:
            self.save_to.setText(path if path.endswith(".onnx") else path + ".onnx")

    def done(self, code: int) -> None:
        if self.teacher.running:
            self.teacher.stop()
        self.timer.stop()
        super().done(code)


def _num(value: object) -> str:
    return f"{float(value):.3f}" if isinstance(value, (int, float)) else ""


def _cells(fig: HeldOutFigures | None) -> tuple[str, str]:
    return ("n/a", "n/a") if fig is None else (f"{fig.precision_at_1:.3f}", f"{fig.map_at_r:.3f}")


def outcome_text(result: TeachResult) -> str:
    """Before/after on the held-out classes, in one sentence per model."""
    b, a = result.before, result.after
    names = ", ".join(result.held_out[:6]) + ("…" if len(result.held_out) > 6 else "")
    lines = [f"Held out from this run: {len(result.held_out)} classes ({names})"]
    if b is not None:
        lines.append(f"Before (starting model): precision@1 {b.precision_at_1:.3f}, MAP@R {b.map_at_r:.3f}")
    if a is not None:
        lines.append(f"After (taught model):    precision@1 {a.precision_at_1:.3f}, MAP@R {a.map_at_r:.3f}")
    lines.append(
        f"Saved {result.model.name} and its card {result.card.name}"
        + (" (stopped early)" if result.stopped else "")
    )
    return "\n".join(lines)
