"""Find similar: an image from anywhere (dropped on the gallery, or File → Find similar…) is
embedded in the background and its nearest neighbours in the open folder are shown."""

from __future__ import annotations

import threading
from pathlib import Path

from lookalike.engine.search.image_query import QueryAnswer, query_neighbours
from lookalike.gui.controller import Controller
from lookalike.gui.state.session import Session
from lookalike.gui.widgets.workers import ProgressFn
from PySide6.QtCore import QObject, Signal

PHASE = "query"


class OutsideSearch(QObject):
    """Runs one query at a time (a new one replaces the old); `answered` carries the QueryAnswer."""

    answered = Signal(object)

    def __init__(self, session: Session, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.controller = session, controller
        self.k = 12

    def search(self, image: str | Path) -> bool:
        """Start a query; False (with a message) when no folder is open yet."""
        emb, embedder = self.session.embeddings, self.session.embedder
        if emb is None or embedder is None or len(emb) == 0:
            self.controller.failed.emit("Find similar", "Open a folder first, then drop an image on it.")
            return False
        path, k = Path(image), self.k

        def job(progress: ProgressFn, cancel: threading.Event) -> QueryAnswer:
            return query_neighbours(embedder, emb, path, k)

        self.controller.run(PHASE, job, lambda answer: self._done(emb, answer))
        return True

    def _done(self, emb: object, answer: QueryAnswer) -> None:
        if self.session.embeddings is emb:
            self.answered.emit(answer)
