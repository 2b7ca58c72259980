"""The only object the map page can reach through QWebChannel: a click, a lasso, a thumbnail request.

Everything coming from the page is checked (integers, in range, bounded in number) before use.
"""

from __future__ import annotations

import math
from typing import Any

from lookalike.engine.map.atlas import View
from PySide6.QtCore import QEvent, QObject, Signal, Slot

MAX_ROWS = 200_000
MAX_PIXELS = 10_000


class MapEvents(QObject):
    """What the page asked for, after checking, for the Python side (never shown to the page)."""

    clicked = Signal(int)
    lassoed = Signal(list)
    thumbnail_wanted = Signal(int)
    view_changed = Signal(object)  # engine.map.atlas.View
    ready = Signal()


class MapBridge(QObject):
    """Slots the page calls and the one signal it listens to (thumbnailReady); nothing else.

    Every public signal and slot of a registered object is reachable from the page (signals can
    even be emitted from JavaScript), so the Python-facing signals live on `events` instead.
    """

    thumbnailReady = Signal(int, str)  # noqa: N815  (name seen by JavaScript)
    atlasReady = Signal(str, float, float, float, float)  # noqa: N815  (picture URI, x0, x1, y0, y1)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.n_rows = 0
        self.events = MapEvents(self)

    @Slot(int)
    def pointClicked(self, row: Any) -> None:  # noqa: N802
        """A click on one point of the map."""
        if self._valid(row):
            self.events.clicked.emit(int(row))

    @Slot(list)
    def pointsSelected(self, rows: Any) -> None:  # noqa: N802
        """A lasso or box selection on the map."""
        if isinstance(rows, list) and len(rows) <= MAX_ROWS:
            self.events.lassoed.emit([int(r) for r in rows if self._valid(r)])

    @Slot(int)
    def requestThumbnail(self, row: Any) -> None:  # noqa: N802
        """The page hovers a point and wants its picture (answered by thumbnailReady)."""
        if self._valid(row):
            self.events.thumbnail_wanted.emit(int(row))

    @Slot(float, float, float, float, int, int)
    def viewChanged(self, x0: Any, x1: Any, y0: Any, y1: Any, width: Any, height: Any) -> None:  # noqa: N802
        """The page shows another part of the map (zoom, pan, first draw): its ranges and pixel size."""
        numbers = (x0, x1, y0, y1, width, height)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in numbers):
            return
        if x1 <= x0 or y1 <= y0 or not (0 < width <= MAX_PIXELS and 0 < height <= MAX_PIXELS):
            return
        self.events.view_changed.emit(
            View(float(x0), float(x1), float(y0), float(y1), int(width), int(height))
        )

    @Slot()
    def pageReady(self) -> None:  # noqa: N802
        """The page connected its handlers."""
        self.events.ready.emit()

    def event(self, e: QEvent) -> bool:
        """Ignore deferred deletes: QWebChannel publishes QObject.deleteLater, the page must not use it."""
        if e.type() == QEvent.Type.DeferredDelete:
            return True
        return super().event(e)

    def _valid(self, row: Any) -> bool:
        return isinstance(row, int | float) and float(row).is_integer() and 0 <= int(row) < self.n_rows
