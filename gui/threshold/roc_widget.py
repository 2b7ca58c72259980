"""A small ROC curve (VAL against FAR, log FAR axis) with the current operating point."""

from __future__ import annotations

import math

import numpy as np
from lookalike.gui.widgets.palette import NO_MATCH
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

FAR_MIN = 1e-4
MARGIN = 34


class RocWidget(QWidget):
    """Draws the folder's ROC; the dot is where the current threshold operates."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.far = np.zeros(0)
        self.val = np.zeros(0)
        self.point: tuple[float, float] | None = None
        self.setMinimumSize(260, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_curve(self, far: np.ndarray, val: np.ndarray) -> None:
        """The ROC points (FAR ascending)."""
        self.far, self.val = np.asarray(far, float), np.asarray(val, float)
        self.update()

    def set_point(self, far: float | None, val: float | None) -> None:
        """The operating point of the current threshold."""
        self.point = None if far is None or val is None else (far, val)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        """Axes, curve and point; a hint when the folder has no labels."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().windowText().color()
        p.setPen(text)
        if len(self.far) == 0:
            p.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter,
                "ROC needs a folder with classes\n(one sub-folder per class)",
            )
            return
        area = QRectF(MARGIN + 8, 10, self.width() - MARGIN - 18, self.height() - MARGIN - 10)
        p.drawRect(area)
        for far in (1e-4, 1e-3, 1e-2, 1e-1, 1.0):
            x = self._map(area, far, 0.0).x()
            p.drawText(QRectF(x - 24, area.bottom() + 2, 48, 14), Qt.AlignmentFlag.AlignCenter, f"{far:g}")
        p.drawText(
            QRectF(area.left(), area.bottom() + 16, area.width(), 14),
            Qt.AlignmentFlag.AlignCenter,
            "FAR (false accept rate)",
        )
        for v in (0.0, 0.5, 1.0):
            y = self._map(area, 1.0, v).y()
            p.drawText(QRectF(0, y - 7, MARGIN + 4, 14), Qt.AlignmentFlag.AlignRight, f"{v:.1f}")
        path = QPainterPath()
        for i, (f, v) in enumerate(zip(self.far, self.val, strict=True)):
            pt = self._map(area, f, v)
            path.moveTo(pt) if i == 0 else path.lineTo(pt)
        p.setPen(QPen(QColor("#3b6fd6"), 2))
        p.drawPath(path)
        if self.point is not None:
            pt = self._map(area, *self.point)
            p.setBrush(QColor(NO_MATCH))
            p.setPen(QPen(QColor(NO_MATCH), 1))
            p.drawEllipse(pt, 5, 5)
        p.end()

    @staticmethod
    def _map(area: QRectF, far: float, val: float) -> QPointF:
        lo = math.log10(FAR_MIN)
        fx = (math.log10(max(far, FAR_MIN)) - lo) / -lo
        return QPointF(area.left() + area.width() * fx, area.bottom() - area.height() * val)
