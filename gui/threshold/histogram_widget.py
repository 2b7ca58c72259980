"""Genuine and impostor distance histograms with the threshold and one distance marked on them."""

from __future__ import annotations

from lookalike.engine.model.manifest import Histograms
from lookalike.gui.widgets.palette import GENUINE, IMPOSTOR
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

MARGIN = 28


class HistogramWidget(QWidget):
    """Each histogram scaled to its own peak (impostor pairs vastly outnumber genuine ones)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hist: Histograms | None = None
        self.source = ""
        self.threshold: float | None = None
        self.distance: float | None = None
        self.setMinimumSize(260, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(self, hist: Histograms | None, source: str) -> None:
        """The histograms and where they come from (model calibration or the folder's labels)."""
        self.hist, self.source = hist, source
        self.update()

    def set_marks(self, threshold: float | None, distance: float | None) -> None:
        """Where the threshold and the compared pair's distance fall."""
        self.threshold, self.distance = threshold, distance
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        """Two filled outlines, a dashed threshold line and a solid distance line."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().windowText().color()
        p.setPen(text)
        area = QRectF(MARGIN, 18, self.width() - 2 * MARGIN, self.height() - 18 - MARGIN)
        if self.hist is None:
            p.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "No distance histograms for this model/folder"
            )
            return
        edges = self.hist.bin_edges
        lo, hi = edges[0], max(edges[-1], (self.distance or 0) * 1.02, 1e-6)
        self._curve(p, area, self.hist.impostor, lo, hi, IMPOSTOR)
        self._curve(p, area, self.hist.genuine, lo, hi, GENUINE)
        p.setPen(text)
        p.drawLine(area.bottomLeft(), area.bottomRight())
        for value in (lo, (lo + hi) / 2, hi):
            x = self._x(area, value, lo, hi)
            p.drawText(
                QRectF(x - 30, area.bottom() + 2, 60, 16), Qt.AlignmentFlag.AlignCenter, f"{value:.2f}"
            )
        p.drawText(QRectF(0, 0, self.width(), 16), Qt.AlignmentFlag.AlignCenter, self._legend())
        self._vline(p, area, self.threshold, lo, hi, QPen(text, 1.5, Qt.PenStyle.DashLine))
        self._vline(p, area, self.distance, lo, hi, QPen(QColor("#3b6fd6"), 3))
        p.end()

    def _legend(self) -> str:
        return f"genuine (green) vs impostor (red) distances, from {self.source}"

    def _curve(
        self, p: QPainter, area: QRectF, counts: tuple[int, ...], lo: float, hi: float, colour: str
    ) -> None:
        peak = max(max(counts, default=0), 1)
        edges = self.hist.bin_edges if self.hist else ()
        path = QPainterPath(QPointF(self._x(area, edges[0], lo, hi), area.bottom()))
        for i, c in enumerate(counts):
            y = area.bottom() - area.height() * c / peak
            path.lineTo(self._x(area, edges[i], lo, hi), y)
            path.lineTo(self._x(area, edges[i + 1], lo, hi), y)
        path.lineTo(self._x(area, edges[-1], lo, hi), area.bottom())
        fill = QColor(colour)
        fill.setAlpha(90)
        p.fillPath(path, fill)
        p.setPen(QPen(QColor(colour), 1.5))
        p.drawPath(path)

    def _vline(self, p: QPainter, area: QRectF, value: float | None, lo: float, hi: float, pen: QPen) -> None:
        if value is None:
            return
        x = self._x(area, value, lo, hi)
        p.setPen(pen)
        p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))

    @staticmethod
    def _x(area: QRectF, value: float, lo: float, hi: float) -> float:
        return area.left() + area.width() * (min(max(value, lo), hi) - lo) / (hi - lo)
