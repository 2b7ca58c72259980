"""The only object the map page can reach through QWebChannel: a click, a lasso, a thumbnail request.

Everything coming from the page is checked (integers, in range, bounded in number) before use.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

MAX_ROWS = 200_000


class MapBridge(QObject):
    """Slots the page calls and the one signal it listens to (thumbnailReady)."""

    thumbnailReady = Signal(int, str)  # noqa: N815  (name seen by JavaScript)
    clicked = Signal(int)
    lassoed = Signal(list)
    thumbnail_wanted = Signal(int)
    ready = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.n_rows = 0

    @Slot(int)
    def pointClicked(self, row: Any) -> None:  # noqa: N802
        """A click on one point of the map."""
        if self._valid(row):
            self.clicked.emit(int(row))

    @Slot(list)
    def pointsSelected(self, rows: Any) -> None:  # noqa: N802
        """A lasso or box selection on the map."""
        if isinstance(rows, list) and len(rows) <= MAX_ROWS:
            self.lassoed.emit([int(r) for r in rows if self._valid(r)])

    @Slot(int)
    def requestThumbnail(self, row: Any) -> None:  # noqa: N802
        """The page hovers a point and wants its picture (answered by thumbnailReady)."""
        if self._valid(row):
            self.thumbnail_wanted.emit(int(row))

    @Slot()
    def pageReady(self) -> None:  # noqa: N802
        """The page connected its handlers."""
        self.ready.emit()

    def _valid(self, row: Any) -> bool:
        return isinstance(row, int | float) and float(row).is_integer() and 0 <= int(row) < self.n_rows
