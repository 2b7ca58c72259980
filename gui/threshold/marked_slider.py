"""A horizontal slider over distances that paints named marks (the model's calibrated thresholds)."""

from __future__ import annotations

from lookalike.engine.thresholds.table import SHORT_NAMES
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider, QWidget

STEPS = 2000


class MarkedSlider(QSlider):
    """Integer slider mapped onto [0, maximum] distance units, with labelled tick marks."""

    def __init__(self, maximum: float, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.maximum_value = maximum
        self.setRange(0, STEPS)
        self.setSingleStep(2)
        self.setPageStep(50)
        self.marks: dict[str, float] = {}
        self.setMinimumHeight(46)

    def value_to_distance(self, value: int) -> float:
        """Slider position → distance."""
        return value / STEPS * self.maximum_value

    def distance_to_value(self, distance: float) -> int:
        """Distance → nearest slider position."""
        return round(min(max(distance / self.maximum_value, 0.0), 1.0) * STEPS)

    def set_marks(self, marks: dict[str, float]) -> None:
        """Named distances to paint under the groove."""
        self.marks = dict(marks)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        """The normal slider, then a tick and a short name for each mark."""
        super().paintEvent(event)
        if not self.marks:
            return
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        groove = self.style().subControlRect(
            QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, self
        )
        handle = self.style().subControlRect(
            QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self
        )
        span = groove.width() - handle.width()
        p = QPainter(self)
        p.setPen(QPen(QColor("#3b6fd6"), 2))
        font = p.font()
        font.setPointSizeF(max(font.pointSizeF() - 1.5, 6.0))
        p.setFont(font)
        for i, (key, dist) in enumerate(sorted(self.marks.items(), key=lambda kv: kv[1])):
            x = groove.left() + handle.width() / 2 + span * self.distance_to_value(dist) / STEPS
            p.drawLine(int(x), groove.center().y() - 8, int(x), groove.center().y() + 8)
            y = self.height() - 14 if i % 2 == 0 else 0
            p.drawText(QRectF(x - 45, y, 90, 14), Qt.AlignmentFlag.AlignCenter, SHORT_NAMES.get(key, key))
        p.end()
