"""Computes the open folder's own thresholds (best F1, FAR targets) in the background once its
labelled pair statistics are in, and hands them to the session."""

from __future__ import annotations

import threading

from lookalike.engine.thresholds.folder import FolderThreshold, folder_thresholds
from lookalike.engine.thresholds.summary import FolderPairs
from lookalike.gui.controller import Controller
from lookalike.gui.state.session import Session
from lookalike.gui.widgets.workers import ProgressFn
from PySide6.QtCore import QObject, QTimer

PHASE = "thresholds"


class FolderThresholdJob(QObject):
    """Listens for pair statistics; runs the F1/FAR scan as the controller's `thresholds` phase."""

    def __init__(self, session: Session, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.controller = session, controller
        # On the next event-loop turn: the turn the pair statistics land in is the views' own.
        session.pairs_changed.connect(lambda pairs: QTimer.singleShot(0, self, lambda: self._start(pairs)))

    def _start(self, pairs: FolderPairs | None) -> None:
        if pairs is not self.session.pairs:
            return  # replaced meanwhile; its own turn will come
        if pairs is None or pairs.labelled is None:
            self.controller.cancel(PHASE)
            return
        labelled = pairs.labelled

        def job(progress: ProgressFn, cancel: threading.Event) -> list[FolderThreshold]:
            return folder_thresholds(labelled)

        def done(items: list[FolderThreshold]) -> None:
            if self.session.pairs is pairs:  # still the same folder
                self.session.set_folder_thresholds(items)

        self.controller.run(PHASE, job, done)
