"""Teach the model on the open folder: run training in a child process, follow it, score the result.

States: training → (done | Stop → export best so far) → scoring the new model on the held-out
classes with the engine → finished. Nothing here imports torch; the child process does.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.io.atomic_file import write_atomically
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.teaching.pair_marks import read_marks
from lookalike.engine.teaching.taught_card import BeforeAfter, card_path, card_text
from lookalike.engine.teaching.teach_run import (
    HeldOutFigures,
    TeachPlan,
    after_figures,
    before_figures,
    export_command,
    labels_with_marks,
    stop_reason,
    teach_command,
)
from lookalike.gui.controller import Controller
from lookalike.gui.state.session import Session
from lookalike.gui.teaching.process import ChildProcess
from lookalike.gui.widgets.workers import ProgressFn
from PySide6.QtCore import QObject, Signal


@dataclass(frozen=True)
class TeachResult:
    """A finished teaching run: the saved model and card, and the before/after on held-out classes."""

    model: Path
    card: Path
    held_out: tuple[str, ...]
    before: HeldOutFigures | None
    after: HeldOutFigures | None
    stopped: bool
    ended_because: str = ""


Scores = tuple[Embedder, HeldOutFigures | None, HeldOutFigures | None]  # new model, before, after


class Teacher(QObject):
    """Runs one teaching run at a time for the session's folder and model."""

    status = Signal(str)
    split = Signal(list)  # held-out class names
    before = Signal(object)  # HeldOutFigures | None
    epoch = Signal(dict)  # one epoch's metrics row
    ended_because = Signal(str)  # why training ended before its epochs ran out (early stop, budget)
    finished = Signal(object)  # TeachResult
    failed = Signal(str)

    def __init__(self, session: Session, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.controller = session, controller
        self.child: ChildProcess | None = None
        self.plan: TeachPlan | None = None
        self.save_to: Path | None = None
        self.held_out: list[str] = []
        self.before_figures: HeldOutFigures | None = None
        self.before_shown = False
        self.stopping = False
        self.reason = ""
        self.embeddings: FolderEmbeddings | None = None
        self.starting_model = ""
        self.labels: list[str | None] = []

    @property
    def running(self) -> bool:
        """True from start until finished or failed."""
        return self.plan is not None

    def start(self, plan: TeachPlan, save_to: Path) -> None:
        """Launch `lookalike train` for the plan; the model will be saved to `save_to`."""
        if self.running:
            return
        self.plan, self.save_to, self.stopping = plan, save_to, False
        self.embeddings = self.session.embeddings
        marks = read_marks(plan.marks_file) if plan.marks_file is not None else []
        self.labels = labels_with_marks(self.embeddings, marks) if self.embeddings is not None else []
        embedder = self.session.embedder
        self.starting_model = embedder.path.name if embedder is not None else "?"
        self.held_out, self.before_figures, self.before_shown, self.reason = [], None, False, ""
        plan.run_dir.mkdir(parents=True, exist_ok=True)
        self._run_child(teach_command(plan), self._training_ended)
        self.status.emit("Loading images…")

    def stop(self) -> None:
        """Stop training now and keep the best model so far."""
        if self.child is not None and self.running and not self.stopping:
            self.stopping = True
            self._ended("stopped by you; the best epoch so far is kept")
            self.status.emit("Stopping; keeping the best epoch so far…")
            self.child.stop()

    def shutdown(self) -> None:
        """Closing the app: end the child process without waiting for an export."""
        if self.child is not None:
            self.child.kill_and_wait()
        self.plan = None

    def _run_child(self, command: list[str], on_end: Any) -> None:
        self.child = ChildProcess(self)
        self.child.event_received.connect(self._event)
        self.child.ended.connect(on_end)
        self.child.start(command)

    def _event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "split":
            self.held_out = [str(c) for c in event.get("val", [])]
            self.split.emit(self.held_out)
            self._score_before()
            self.status.emit("Training…")
        elif kind == "epoch":
            self.epoch.emit(event)
        elif kind == "log":
            message = str(event.get("message", ""))
            reason = stop_reason(message)
            if reason is not None and not self.stopping:
                self._ended(reason)
            self.status.emit(message[:200])
        elif kind == "error":
            self._fail(str(event.get("message")))

    def _ended(self, reason: str) -> None:
        self.reason = reason
        self.ended_because.emit(reason)

    def _score_before(self) -> None:
        """The starting model on the held-out images, off the UI thread (a k-NN over them)."""
        emb, classes, labels = self.embeddings, list(self.held_out), self.labels
        if emb is None:
            return

        def job(progress: ProgressFn, cancel: threading.Event) -> HeldOutFigures | None:
            return before_figures(emb, classes, labels)

        self.controller.run("held-out-before", job, self._before_scored, lambda exc: self._fail(str(exc)))

    def _before_scored(self, figures: HeldOutFigures | None) -> None:
        if self.plan is None or self.before_shown:
            return
        self.before_figures, self.before_shown = figures, True
        self.before.emit(figures)

    def _training_ended(self, code: int, tail: str) -> None:
        if self.plan is None:
            return
        model = self.plan.run_dir / "model.onnx"
        if code == 0 and model.is_file():
            self._save_and_score(model)
        elif self.stopping and (self.plan.run_dir / "best.pt").is_file():
            self.status.emit("Exporting the best epoch so far…")
            self._run_child(export_command(self.plan.run_dir / "best.pt", model), self._exported)
        elif self.stopping:
            self._fail("Stopped before the first epoch ended: there is no model to keep yet.")
        else:
            self._fail(f"Training failed (exit {code}).\n{tail}")

    def _exported(self, code: int, tail: str) -> None:
        if self.plan is None:
            return
        model = self.plan.run_dir / "model.onnx"
        if code == 0 and model.is_file():
            self._save_and_score(model)
        else:
            self._fail(f"Exporting the best epoch failed (exit {code}).\n{tail}")

    def _save_and_score(self, model: Path) -> None:
        assert self.save_to is not None
        self.save_to.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(model, self.save_to)
        self.status.emit("Scoring the new model on the held-out classes…")
        emb, classes, target, labels = self.embeddings, list(self.held_out), self.save_to, self.labels
        known = self.before_shown

        def job(progress: ProgressFn, cancel: threading.Event) -> Scores:
            embedder = Embedder(target)
            if emb is None:
                return embedder, None, None
            before = None if known else before_figures(emb, classes, labels)  # not in yet: score it here
            return embedder, before, after_figures(embedder, emb, classes, labels, progress, cancel)

        self.controller.run("held-out", job, self._scored, lambda exc: self._fail(str(exc)))

    def _scored(self, value: Scores) -> None:
        embedder, before, after = value
        assert self.plan is not None
        if not self.before_shown:
            self.controller.cancel("held-out-before")
            self._before_scored(before)
        marks = self.plan.marks_file
        n_marks = len(read_marks(marks)) if marks is not None and marks.is_file() else 0
        figures = BeforeAfter(self.before_figures, after)
        text = card_text(embedder, self.plan.folder, self.held_out, figures, self.starting_model, n_marks)
        card = card_path(embedder.path)
        data = text.encode("utf-8")
        write_atomically(card, lambda fh: fh.write(data))  # a card is whole or the previous one
        ended = self.reason or "every epoch asked for ran"
        result = TeachResult(
            embedder.path, card, tuple(self.held_out), self.before_figures, after, self.stopping, ended
        )
        self.plan = None
        self.status.emit("Done")
        self.finished.emit(result)

    def _fail(self, message: str) -> None:
        if self.child is not None and self.child.running:
            self.child.stop()
        self.plan = None
        self.failed.emit(message)
