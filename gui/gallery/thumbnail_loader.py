"""Thumbnails built off the UI thread (QImage in a pool thread, QPixmap on the UI thread), cached.

Requests are lazy: a view asks for a path when it paints it; the loader answers with `ready(path)`.
The loads start after the paint, all together: starting a pool job inside a paint cost ~1.7 ms each,
and the threads it woke competed with the rest of the paint for the interpreter (the gallery's
first paint of a 100,000-image folder took 124 ms with them, bench/app/big_window.py).
A generation counter drops answers that arrive after the folder changed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from lookalike.engine.errors import ImageLoadError
from lookalike.engine.images.thumbnails import thumbnail
from lookalike.gui.widgets.workers import ProgressFn, Worker, WorkerPool
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPixmap

THUMB_SIZE = 96
CACHE_LIMIT = 4000


def load_qimage(path: str, size: int) -> QImage:
    """Decode with the engine's loader and wrap the pixels in a QImage that owns its memory."""
    img = thumbnail(path, size)
    data = img.tobytes()
    qimg = QImage(data, img.width, img.height, 3 * img.width, QImage.Format.Format_RGB888)
    return qimg.copy()


class ThumbnailLoader(QObject):
    """Loads thumbnails on demand in its own small pool; emits `ready(path)` when one is cached."""

    ready = Signal(str)
    failed = Signal(str, str)

    def __init__(self, size: int = THUMB_SIZE, threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.size = size
        self.workers = WorkerPool(threads, self)
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._asked: list[str] = []  # asked for during this turn, started at the next one
        self._generation = 0
        self.placeholder = QPixmap(size, size)
        self.placeholder.fill(QColor(128, 128, 128, 40))

    def pixmap(self, path: str) -> QPixmap | None:
        """The cached thumbnail, or None after queueing its load."""
        pix = self._pixmaps.get(path)
        if pix is not None:
            self._pixmaps.move_to_end(path)
            return pix
        if path not in self._pending:
            self._pending.add(path)
            if not self._asked:
                QTimer.singleShot(0, self, self._start_asked)
            self._asked.append(path)
        return None

    def clear(self) -> None:
        """Forget everything (a new folder); answers still in flight are ignored."""
        self._generation += 1
        self.workers.cancel_all()
        self._pending.clear()
        self._asked.clear()
        self._pixmaps.clear()

    def shutdown(self) -> None:
        """Stop and wait for the pool threads."""
        self.clear()
        self.workers.shutdown()

    def _start_asked(self) -> None:
        """Start the loads asked for since the last turn (a view's paint asks for all it shows)."""
        asked, self._asked = self._asked, []
        for path in asked:
            self._request(path)

    def _request(self, path: str) -> None:
        gen, size = self._generation, self.size

        def job(progress: ProgressFn, cancel: threading.Event) -> QImage | None:
            return None if cancel.is_set() else load_qimage(path, size)

        worker = Worker(job, "thumbnail")
        worker.signals.result.connect(lambda img, p=path, g=gen: self._loaded(p, g, img))
        worker.signals.error.connect(lambda exc, p=path, g=gen: self._error(p, g, exc))
        self.workers.start(worker)

    def _loaded(self, path: str, generation: int, image: QImage | None) -> None:
        if generation != self._generation or image is None:
            return
        self._pending.discard(path)
        self._pixmaps[path] = QPixmap.fromImage(image)
        while len(self._pixmaps) > CACHE_LIMIT:
            self._pixmaps.popitem(last=False)
        self.ready.emit(path)

    def _error(self, path: str, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        reason = str(exc) if isinstance(exc, ImageLoadError) else f"{type(exc).__name__}: {exc}"
        self.failed.emit(path, reason)
