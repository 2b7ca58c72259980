"""Thumbnails on the map: the page says which part of the map it shows, a worker draws that part's
thumbnails into one picture (engine/map/atlas.py), and the page lays it beneath its points.

A view is drawn in steps (a batch of newly decoded thumbnails each), so images appear progressively;
a new view (zoom, pan) replaces the one in progress.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Callable

import numpy as np
from lookalike.engine.map.atlas import Atlas, ThumbnailCache, View, build_atlas
from lookalike.engine.map.projection import Projection
from lookalike.gui.controller import Controller
from lookalike.gui.map.bridge import MapBridge
from lookalike.gui.widgets.workers import ProgressFn
from PySide6.QtCore import QObject, Signal

PHASE = "map-images"


class MapAtlas(QObject):
    """Keeps the page's picture of thumbnails in step with its view; `drawn` fires after each step."""

    drawn = Signal(object)  # the Atlas just sent to the page

    def __init__(self, bridge: MapBridge, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge, self.controller = bridge, controller
        self.enabled = True
        self.projection: Projection | None = None
        self.cache: ThumbnailCache | None = None
        self.view: View | None = None
        bridge.events.view_changed.connect(self.show_view)

    def set_map(self, projection: Projection | None, path_of: Callable[[int], str] | None) -> None:
        """A new map (or none): forget the old pictures; thumbnails are decoded again for it."""
        self.controller.cancel(PHASE)
        self.projection, self.view = projection, None
        self.cache = ThumbnailCache(path_of) if projection is not None and path_of is not None else None

    def set_enabled(self, on: bool) -> None:
        """Show thumbnails or only the points."""
        self.enabled = on
        if not on:
            self.controller.cancel(PHASE)
            self.bridge.atlasReady.emit("", 0.0, 0.0, 0.0, 0.0)
        elif self.view is not None:
            self.show_view(self.view)

    def show_view(self, view: View) -> None:
        """Draw the thumbnails of the part of the map the page shows now."""
        self.view = view
        proj, cache = self.projection, self.cache
        if not self.enabled or proj is None or cache is None:
            return
        points, rows = np.asarray(proj.points), np.asarray(proj.indices)

        def job(progress: ProgressFn, cancel: threading.Event) -> tuple[Atlas, str]:
            atlas = build_atlas(points, rows, view, cache, cancel)
            out = io.BytesIO()
            atlas.image.save(out, format="PNG", optimize=False, compress_level=1)
            return atlas, "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")

        self.controller.run(PHASE, job, self._drawn)

    def _drawn(self, result: tuple[Atlas, str]) -> None:
        atlas, uri = result
        ranges = (atlas.view.x0, atlas.view.x1, atlas.view.y0, atlas.view.y1)
        if self.view is None or ranges != (self.view.x0, self.view.x1, self.view.y0, self.view.y1):
            return  # the page moved on meanwhile
        if not self.enabled:
            return
        v = atlas.view
        self.bridge.atlasReady.emit(uri, v.x0, v.x1, v.y0, v.y1)
        self.drawn.emit(atlas)
        if not atlas.complete and self.view is not None:
            self.show_view(self.view)
