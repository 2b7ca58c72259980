"""The one threshold of the app: a slider with calibrated marks, a typed value, or a target FAR."""

from __future__ import annotations

from lookalike.engine.errors import MetricsError
from lookalike.engine.metrics.verification import ThresholdStats, threshold_at_far, threshold_stats
from lookalike.engine.thresholds.summary import threshold_for_far
from lookalike.engine.thresholds.table import MENU_FARS, SHORT_NAMES
from lookalike.gui.state.session import MAX_DISTANCE, Session
from lookalike.gui.threshold.marked_slider import MarkedSlider
from lookalike.gui.widgets.fixed_label import FixedWidthLabel
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

# The widest texts the changing labels hold: their widths are fixed so the slider never moves.
WIDEST_SUMMARY = "≈8,888,888 matching pairs · precision 0.88 · FAR 8.8e-88 · VAL 0.88"
WIDEST_SOURCE = "(default: FAR 1e-2 (model calibration))"


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
        self.far.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.far.setMinimumContentsLength(len("Set from…") + 1)
        self.summary = FixedWidthLabel(WIDEST_SUMMARY)
        self.source = FixedWidthLabel(WIDEST_SOURCE)
        self.source.setToolTip(
            "Where the current threshold comes from. The default is a false-accept-rate point of the "
            "model's calibration, not balanced accuracy: with many classes almost every pair is an "
            "impostor, so a balanced threshold would accept mostly wrong pairs."
        )
        self._lay_out()
        session.threshold_changed.connect(self._show)
        session.model_changed.connect(lambda _m: self._fill_targets())
        session.pairs_changed.connect(lambda _p: self._pairs_changed())
        session.folder_thresholds_changed.connect(lambda _t: self._pairs_changed())
        self._fill_targets()
        self._show(session.threshold)

    def _lay_out(self) -> None:
        # Two lines: the slider's line holds only fixed-size controls, the changing texts sit below
        # at fixed widths, so nothing a drag changes can take width from the slider.
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Match threshold"))
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.spin)
        controls.addWidget(self.far)
        texts = QHBoxLayout()
        texts.addWidget(self.source)
        texts.addWidget(self.summary)
        texts.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(0)
        layout.addLayout(controls)
        layout.addLayout(texts)

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
        self.summary.setText(summary_text(self.session))
        self.source.setText(f"({self.session.threshold_source()})")

    def _fill_targets(self) -> None:
        self.far.clear()
        self.far.addItem("Set from…", None)
        choice = self.session.default_choice()
        for key, value in self.session.calibrated_thresholds().items():
            default = " — default" if choice is not None and choice.key == key else ""
            precision = self.session.calibration_precision(value)
            note = "" if precision is None else f", calibration precision {precision:.2f}"
            text = f"model: {SHORT_NAMES.get(key, key)} ({value:.3f}{note}){default}"
            self.far.addItem(text, ("value", value))
        for item in self.session.folder_thresholds:
            if item.key == "best_f1":  # the F1 scan runs in the background; FAR points are instant
                self.far.addItem(
                    f"this folder: {item.name} ({_stats_text(item.stats)})", ("value", item.value)
                )
        labelled = self.session.pairs.labelled if self.session.pairs is not None else None
        if labelled is not None:
            for far in MENU_FARS:
                st = threshold_stats(labelled, threshold_at_far(labelled, far))
                self.far.addItem(f"this folder: FAR ≤ {far:g} ({_stats_text(st)})", ("far", far))
        self.slider.set_marks(self.session.calibrated_thresholds())
        view = self.far.view()  # the closed box stays narrow; its list opens wide enough to read
        view.setMinimumWidth(view.sizeHintForColumn(0) + view.verticalScrollBar().sizeHint().width())

    def choose(self, text_start: str) -> None:
        """Pick the first entry of the 'Set from…' list whose text starts with `text_start`."""
        for i in range(self.far.count()):
            if self.far.itemText(i).startswith(text_start):
                self._far_chosen(i)
                return
        raise KeyError(text_start)

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


def _stats_text(st: ThresholdStats) -> str:
    return f"{st.threshold:.3f}, precision {st.precision:.2f}, VAL {st.val:.2f}"


def summary_text(session: Session) -> str:
    """Matching pairs at the threshold, with precision, FAR and VAL wherever they are known."""
    summary = session.summary()
    if summary is None:
        precision = session.calibration_precision(session.threshold)
        return "" if precision is None else f"calibration precision {precision:.2f}"
    approx = "≈" if summary.estimated else ""
    text = f"{approx}{summary.matching_pairs:,} matching pairs"
    if summary.stats is not None:
        st = summary.stats
        return text + f" · precision {st.precision:.2f} · FAR {st.far:.1e} · VAL {st.val:.2f}"
    precision = session.calibration_precision(session.threshold)
    return text + ("" if precision is None else f" · calibration precision {precision:.2f}")
