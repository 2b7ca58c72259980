"""A label sized once for the longest text it will hold, so text that changes never moves its neighbours."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class FixedWidthLabel(QLabel):
    """Fixed width from a sample of its widest text; longer text is elided on screen, whole in the tooltip.

    Text that changes while the user drags a control must not resize the row it sits in: a wider
    label steals width from a stretching slider, and the handle jumps away from the pointer.
    """

    def __init__(self, widest: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widest = widest
        self.hint = ""
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self._fix_width()

    def _fix_width(self) -> None:
        margin = 2 * self.margin() + 2 * self.frameWidth() + 6
        self.setFixedWidth(self.fontMetrics().horizontalAdvance(self.widest) + margin)

    def setToolTip(self, text: str) -> None:  # noqa: N802
        """The tooltip the label has when its text fits; the whole text is shown when it does not."""
        self.hint = text
        super().setToolTip(text)

    def setText(self, text: str) -> None:  # noqa: N802
        """Set the whole text (text() returns it); the screen shows as much as fits."""
        super().setText(text)
        fits = self.fontMetrics().horizontalAdvance(text) <= self.contentsRect().width()
        super().setToolTip(self.hint if fits else "\n".join(t for t in (text, self.hint) if t))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        """A new font changes how wide the widest text is."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fix_width()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        """The text elided at the right edge instead of cut off mid-glyph."""
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)
        painter.drawText(rect, int(self.alignment()), shown)
        painter.end()
