"""What the threshold means on the open folder: matching pairs, FAR, VAL, precision and the ROC."""

from __future__ import annotations

import numpy as np
from lookalike.engine.thresholds.summary import FolderPairs, ThresholdSummary
from lookalike.gui.state.session import Session
from lookalike.gui.threshold.roc_widget import RocWidget
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget


class ThresholdView(QWidget):
    """Updates at every threshold change from precomputed pair distances (no re-embedding)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.fields = {
            k: QLabel("–") for k in ("threshold", "source", "pairs", "far", "val", "precision", "counts")
        }
        form = QFormLayout()
        names = {
            "threshold": "Threshold",
            "source": "Chosen by",
            "pairs": "Matching pairs in the folder",
            "far": "FAR (impostor pairs accepted)",
            "val": "VAL (genuine pairs accepted)",
            "precision": "Precision (accepted pairs that are genuine)",
            "counts": "Pairs",
        }
        for key, label in self.fields.items():
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)  # a longer count wraps; it never widens the column
            form.addRow(names[key], label)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.choices = QLabel()
        self.choices.setWordWrap(True)
        self.choices.setTextFormat(Qt.TextFormat.PlainText)
        panel = QWidget()  # sized by the tab, not by its text, so the ROC stays put while dragging
        panel.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        left = QVBoxLayout(panel)
        left.setContentsMargins(0, 0, 0, 0)
        left.addLayout(form)
        left.addWidget(self.note)
        left.addWidget(self.choices)
        left.addStretch(1)
        self.roc = RocWidget()
        layout = QHBoxLayout(self)
        layout.addWidget(panel, 1)
        layout.addWidget(self.roc, 1)
        session.threshold_changed.connect(lambda _t: self._update())
        session.pairs_changed.connect(self._pairs_changed)
        session.folder_thresholds_changed.connect(lambda _t: self._show_choices())
        session.model_changed.connect(lambda _m: self._show_choices())
        self._pairs_changed(None)

    def _pairs_changed(self, pairs: FolderPairs | None) -> None:
        if pairs is None:
            self.roc.set_curve(np.empty(0), np.empty(0))
            self.note.setText("Open a folder to see what the threshold means on it.")
        else:
            self.roc.set_curve(pairs.roc_far, pairs.roc_val)
            self.note.setText(_note(pairs))
        self._update()

    def _show_choices(self) -> None:
        self.choices.setText(choices_text(self.session))

    def _update(self) -> None:
        self.fields["threshold"].setText(f"{self.session.threshold:.4f}")
        self.fields["source"].setText(self.session.threshold_source())
        summary = self.session.summary()
        if summary is None:
            for key in ("pairs", "far", "val", "precision", "counts"):
                self.fields[key].setText("–")
            precision = self.session.calibration_precision(self.session.threshold)
            if precision is not None:
                self.fields["precision"].setText(f"{precision:.3f} on the model's calibration pairs")
            self.roc.set_point(None, None)
            return
        self._show(summary)

    def _show(self, s: ThresholdSummary) -> None:
        approx = "≈ " if s.estimated else ""
        self.fields["pairs"].setText(f"{approx}{s.matching_pairs:,}")
        if s.stats is None:
            for key in ("far", "val", "precision", "counts"):
                self.fields[key].setText("needs classes (sub-folders)")
            precision = self.session.calibration_precision(self.session.threshold)
            if precision is not None:
                self.fields["precision"].setText(f"{precision:.3f} on the model's calibration pairs")
            self.roc.set_point(None, None)
            return
        st = s.stats
        self.fields["far"].setText(f"{st.far:.2e}")
        self.fields["val"].setText(f"{st.val:.3f}")
        self.fields["precision"].setText(f"{st.precision:.3f}")
        self.fields["counts"].setText(
            f"{st.true_accepts:,} genuine accepted, {st.false_accepts:,} impostor accepted, "
            f"{st.false_rejects:,} genuine rejected"
        )
        self.roc.set_point(st.far, st.val)


def _note(pairs: FolderPairs) -> str:
    text = f"{pairs.n_pairs:,} pairs in the folder."
    if pairs.sampled:
        text += f" Counts are estimated from a random sample of {len(pairs.distances):,} pairs."
    if pairs.labelled is None:
        text += " FAR, VAL and precision need classes: one sub-folder per class."
    return text


def choices_text(session: Session) -> str:
    """The default's rule, and the folder's own thresholds with their FAR, VAL and precision."""
    lines = []
    choice = session.default_choice()
    if choice is not None:
        precision = "" if choice.precision is None else f", precision {choice.precision:.3f}"
        lines.append(
            f"Default: {choice.label} = {choice.value:.4f}{precision} on the model's held-out pairs — "
            "a false-accept-rate point, because with many classes a balanced threshold accepts "
            "mostly pairs of different classes."
        )
    if session.folder_thresholds:
        lines.append("This folder's own thresholds (Set from… in the toolbar):")
        for item in session.folder_thresholds:
            st = item.stats
            lines.append(
                f"  {item.name}: {st.threshold:.4f} — precision {st.precision:.3f}, "
                f"FAR {st.far:.1e}, VAL {st.val:.3f}"
            )
    return "\n".join(lines)
