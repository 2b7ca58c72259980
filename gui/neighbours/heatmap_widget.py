"""A pairwise distance matrix painted as a heat map; cells below the threshold are outlined as matches."""

from __future__ import annotations

import numpy as np
from lookalike.gui.widgets.palette import MATCH
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

LABEL_WIDTH = 140


class HeatmapWidget(QWidget):
    """Colour = distance (dark = close); a green outline marks pairs that match at the threshold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix = np.zeros((0, 0))
        self.names: list[str] = []
        self.threshold = 1.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 240)

    def set_matrix(self, matrix: np.ndarray, names: list[str], threshold: float) -> None:
        """Show a new matrix (rows and columns named)."""
        self.matrix, self.names, self.threshold = np.asarray(matrix, float), names, threshold
        self.update()

    def set_threshold(self, threshold: float) -> None:
        """Re-mark the matches for a new threshold."""
        self.threshold = threshold
        self.update()

    def matches(self) -> int:
        """How many distinct pairs are below the threshold (what the outlines show)."""
        n = len(self.matrix)
        return int(((self.matrix < self.threshold) & ~np.eye(n, dtype=bool)).sum() // 2)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        """Draw cells, values (when they fit) and row names."""
        n = len(self.matrix)
        if n == 0:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = max(4.0, min((self.width() - LABEL_WIDTH - 10) / n, (self.height() - 10) / n))
        top = np.nanmax(self.matrix) or 1.0
        for i in range(n):
            p.setPen(self.palette().windowText().color())
            p.drawText(
                QRectF(0, 5 + i * side, LABEL_WIDTH - 6, side),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self.names[i][:22],
            )
            for j in range(n):
                self._cell(p, QRectF(LABEL_WIDTH + j * side, 5 + i * side, side, side), i, j, top)
        p.end()

    def _cell(self, p: QPainter, rect: QRectF, i: int, j: int, top: float) -> None:
        d = self.matrix[i, j]
        shade = int(255 * min(d / top, 1.0))
        p.fillRect(rect, QColor(40 + shade * 3 // 4, 60 + shade * 3 // 4, 140 + shade // 3))
        if i != j and d < self.threshold:
            p.setPen(QPen(QColor(MATCH), 3))
            p.drawRect(rect.adjusted(1.5, 1.5, -1.5, -1.5))
        if rect.width() >= 38:
            p.setPen(QColor("white") if shade < 140 else QColor("black"))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{d:.2f}")
