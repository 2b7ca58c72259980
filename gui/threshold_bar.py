"""The one threshold of the app: a slider with calibrated marks, a typed value, or a target FAR."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from lookalike.engine.errors import MetricsError
from lookalike.engine.threshold_summary import threshold_for_far
from lookalike.gui.marked_slider import MARK_NAMES, MarkedSlider
from lookalike.gui.session import MAX_DISTANCE, Session

FOLDER_FARS = (1e-4, 1e-3, 1e-2, 1e-1)


class ThresholdBar(QWidget):
    """Writes the session's threshold; mirrors it when something else changes it."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.slider = MarkedSlider(MAX_DISTANCE)
        self.slider.valueChanged.connect(lambda v: session.set_threshold(self.slider.value_to_distance(v)))
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(4)
        self.spin.setRange(0.0, MAX_DISTANCE)
        self.spin.setSingleStep(0.01)
        self.spin.setKeyboardTracking(False)
        self.spin.valueChanged.connect(session.set_threshold)
        self.far = QComboBox()
        self.far.setToolTip("Set the threshold from a calibrated value or a target false accept rate")
        self.far.activated.connect(self._far_chosen)
        self.summary = QLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(QLabel("Match threshold"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        layout.addWidget(self.far)
        layout.addWidget(self.summary)
        session.threshold_changed.connect(self._show)
        session.model_changed.connect(lambda _m: self._fill_targets())
        session.pairs_changed.connect(lambda _p: self._pairs_changed())
        self._fill_targets()
        self._show(session.threshold)

    def _pairs_changed(self) -> None:
        self._fill_targets()
        self._show(self.session.threshold)

    def _show(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self.slider.distance_to_value(value))
        self.slider.blockSignals(False)
        self.spin.blockSignals(True)
        self.spin.setValue(value)
        self.spin.blockSignals(False)
        summary = self.session.summary()
        if summary is None:
            self.summary.setText("")
        else:
            approx = "≈" if summary.estimated else ""
            self.summary.setText(f"{approx}{summary.matching_pairs:,} matching pairs")

    def _fill_targets(self) -> None:
        self.far.clear()
        self.far.addItem("Set from…", None)
        for key, value in self.session.calibrated_thresholds().items():
            self.far.addItem(f"model: {MARK_NAMES.get(key, key)} ({value:.3f})", ("value", value))
        if self.session.pairs is not None and self.session.pairs.labelled is not None:
            for far in FOLDER_FARS:
                self.far.addItem(f"this folder: FAR ≤ {far:g}", ("far", far))
        self.slider.set_marks(self.session.calibrated_thresholds())

    def _far_chosen(self, index: int) -> None:
        choice = self.far.itemData(index)
        if choice is None:
            return
        kind, value = choice
        if kind == "far" and self.session.pairs is not None:
            try:
                value = threshold_for_far(self.session.pairs, value)
            except MetricsError:
                return
        self.session.set_threshold(value)
        self.far.setCurrentIndex(0)
