"""The status bar: model, the provider really running it (from engine), and job progress with ETA and Stop."""

from __future__ import annotations

from lookalike.engine.model.embedder import Embedder
from lookalike.gui.controller import PHASE_TITLES, Controller
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QStatusBar, QWidget

PHASE_EMS = 36  # the progress line's width, in the font's "M"s (longer lines are cut)
BAR_WIDTH = 160


class StatusBar(QStatusBar):
    """Always shows the model and provider; shows progress and a Stop button while work runs."""

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_label = QLabel("No model")
        self.provider_label = QLabel("")
        self.phase = ElidedLabel("")
        self.shown_phase = ""  # the phase whose progress the bar shows
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the running work (Esc)")
        self.stop_button.clicked.connect(controller.stop)
        # Permanent: a notice ("Model … on CPU", 8 s) must not hide the progress of the work it follows.
        self.addPermanentWidget(_progress_line(self.phase, self.bar, self.stop_button))
        self.addPermanentWidget(self.model_label)
        self.addPermanentWidget(self.provider_label)
        controller.progress.connect(self.show_progress)
        controller.busy_changed.connect(self.set_busy)
        controller.phases_changed.connect(self.show_phases)
        controller.notice.connect(lambda text: self.showMessage(text, 8000))
        self.set_busy(False)

    def show_model(self, embedder: Embedder) -> None:
        """Model name and the provider ONNX Runtime really uses."""
        self.model_label.setText(f"Model: {embedder.manifest.name} ({embedder.path.name})")
        self.provider_label.setText(f"Provider: {embedder.provider}")
        self.provider_label.setToolTip("The ONNX Runtime execution provider actually running the model")

    def show_progress(self, phase: str, done: int, total: int, eta: float) -> None:
        """One line per running phase: what, how far, how long left."""
        title = PHASE_TITLES.get(phase)
        if title is None:
            return
        self.shown_phase = phase
        self.bar.setVisible(True)
        self.stop_button.setVisible(True)
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        eta_text = f", about {_duration(eta)} left" if eta >= 0 else ""
        unit = " images" if phase == "embed" else ""
        self.phase.setText(f"{title}: {done:,} / {total:,}{unit}{eta_text}")

    def show_phases(self, phases: list[str]) -> None:
        """When the phase on show has ended, say what still runs instead of its last progress."""
        if self.shown_phase in phases:
            return
        self.shown_phase = ""
        titles = [PHASE_TITLES[p] for p in phases if p in PHASE_TITLES]
        if phases:
            self.phase.setText(", ".join(titles) + "…" if titles else "Working…")
            # No count known yet: the text says what runs. Not Qt's busy bar: starting its animation
            # took the UI thread 2.5 ms (24 ms while a big folder came in), and it repaints every frame.
            self.bar.setVisible(False)

    def set_busy(self, busy: bool) -> None:
        """Hide progress and Stop when nothing runs (the bar shows only once a count is known)."""
        self.stop_button.setVisible(busy)
        if not busy:
            self.bar.setVisible(False)
        if not busy:
            self.phase.setText("")
            self.shown_phase = ""
        elif not self.phase.text():
            self.phase.setText("Working…")
            self.bar.setVisible(False)


class ElidedLabel(QLabel):
    """A one-line label of fixed width that ends a text too long for it with "…" (text() stays whole)."""

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        """Draw the text elided to the label's width."""
        painter = QPainter(self)
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.width())
        painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)


def _progress_line(phase: QLabel, bar: QProgressBar, stop: QPushButton) -> QWidget:
    """The progress line in a box of fixed size, each part of fixed size too, kept while hidden.

    It changes many times a second while a folder opens, and its parts come and go with every job;
    a widget whose size may change (or that appears) asks the whole main window to lay itself out
    again (~20-30 ms a time at 100,000 images: the opening's stalls, bench/app/big_window.py).
    Inside a box of fixed size the rest of the window never hears of it.
    """
    height = max(w.sizeHint().height() for w in (phase, bar, stop))
    phase.setFixedSize(phase.fontMetrics().horizontalAdvance("M") * PHASE_EMS, height)
    bar.setFixedSize(BAR_WIDTH, height)
    stop.setFixedSize(stop.sizeHint().width(), height)
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for w in (phase, bar, stop):
        policy = w.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        w.setSizePolicy(policy)
        row.addWidget(w)
    row.addStretch(1)
    box.setFixedSize(row.sizeHint())
    return box


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"
