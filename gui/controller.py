"""Background jobs that fill the session: load a model, embed a folder, compute its pair statistics.

One job per phase: starting a phase again cancels the previous job of that phase, and a result
from a job that is no longer current is dropped, so opening another folder mid-scan is safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lookalike.engine.errors import CancelledError
from lookalike.engine.folder.embedding import FolderEmbeddings, embed_folder
from lookalike.engine.index.manifest import is_index_dir
from lookalike.engine.index.reader import IndexEmbeddings, describe, metrics_sample, open_index
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.thresholds.summary import folder_pairs
from lookalike.gui.error_handler import log_unexpected
from lookalike.gui.heap import collection_paused, freeze_long_lived
from lookalike.gui.state.session import Session
from lookalike.gui.widgets.workers import JobFn, ProgressFn, Worker, WorkerPool
from PySide6.QtCore import QObject, Signal

PHASE_TITLES = {
    "model": "Loading model",
    "embed": "Embedding",
    "pairs": "Pair statistics",
    "thresholds": "This folder's thresholds",
    "map": "t-SNE map",
    "map-export": "Exporting the map",
    "map-images": "Map images",
    "map-clusters": "Map clusters",
    "explain": "Explaining the match",
    "held-out": "Scoring the new model",
    "held-out-before": "Scoring the starting model",
    "move": "Moving duplicates",
    "duplicates": "Duplicates, picture check",
}


class Controller(QObject):
    """Starts, tracks and stops the app's long jobs; reports progress, notices and errors."""

    progress = Signal(str, int, int, float)  # phase, done, total, eta seconds (-1: unknown)
    busy_changed = Signal(bool)
    phases_changed = Signal(list)  # the phases in flight now, oldest first
    notice = Signal(str)
    failed = Signal(str, str)  # title, message
    embedded = Signal(object)  # FolderEmbeddings, also when stopped early

    def __init__(self, session: Session, pool: WorkerPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.pool = pool
        self.jobs: dict[str, Worker] = {}
        self._started: dict[str, float] = {}
        self._closed = False
        self.remembered_threshold: Callable[[str], float | None] = lambda sha: None

    @property
    def busy(self) -> bool:
        """True while any tracked job runs."""
        return bool(self.jobs)

    def run(
        self,
        phase: str,
        fn: JobFn,
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Worker:
        """Start `fn` as the current job of `phase`, cancelling the previous one of that phase.
        After shutdown nothing starts (a timer or a late signal may still ask while the window closes)."""
        self.cancel(phase)
        worker = Worker(fn, phase)
        if self._closed:
            return worker
        self.jobs[phase] = worker
        self._started[phase] = time.monotonic()
        worker.signals.progress.connect(lambda d, t, w=worker: self._on_progress(w, d, t))
        worker.signals.result.connect(lambda r, w=worker: self._on_result(w, r, on_result))
        worker.signals.error.connect(lambda e, w=worker: self._on_error(w, e, on_error))
        worker.signals.finished.connect(lambda w=worker: self._on_finished(w))
        self.pool.start(worker)
        self._jobs_changed()
        return worker

    def cancel(self, phase: str) -> None:
        """Stop the job of one phase (its late result is ignored)."""
        worker = self.jobs.pop(phase, None)
        if worker is not None:
            worker.cancel()
            self._jobs_changed()

    def _jobs_changed(self) -> None:
        self.busy_changed.emit(self.busy)
        self.phases_changed.emit(list(self.jobs))

    def stop(self) -> None:
        """Stop everything in flight (Esc / the Stop button)."""
        for worker in list(self.jobs.values()):
            worker.cancel()
        self.notice.emit("Stopped")

    def shutdown(self) -> None:
        """Cancel every job and wait for the threads, so closing mid-work exits cleanly."""
        self._closed = True
        self.jobs.clear()
        self.pool.shutdown()

    def open_model(self, path: str | Path) -> None:
        """Load a model in the background; on failure the previous model stays in use."""
        target = Path(path)

        def load(progress: ProgressFn, cancel: threading.Event) -> Embedder:
            return Embedder(target)

        def done(embedder: Embedder) -> None:
            self.session.set_model(embedder, self.remembered_threshold(embedder.sha256))
            self.notice.emit(f"Model {embedder.manifest.name} on {embedder.provider}")
            if self.session.folder is not None:
                self.open_folder(self.session.folder)

        self.run("model", load, done, lambda exc: self._model_failed(target, exc))

    def open_folder(self, path: str | Path) -> None:
        """Embed a folder in the background (the cache makes a second opening near-instant)."""
        folder = Path(path)
        self.session.folder = folder
        self.cancel("pairs")
        self.cancel("map")
        embedder = self.session.embedder
        if embedder is None:
            return  # embedded as soon as the model is loaded
        self.session.set_embeddings(None)

        def job(progress: ProgressFn, cancel: threading.Event) -> FolderEmbeddings:
            result: FolderEmbeddings
            with collection_paused():  # gui.heap: its objects are made in bulk, then frozen
                if is_index_dir(folder):  # made by `lookalike index`: read, never re-embedded
                    result = open_index(folder, embedder)
                else:
                    result = embed_folder(folder, embedder, progress=progress, cancel=cancel)
                _ = result.shared_names, result.class_names  # the gallery's, made here, not on the UI thread
            return result

        self.run("embed", job, self._embedded)

    def _embedded(self, result: FolderEmbeddings) -> None:
        freeze_long_lived()  # gui.heap: what the opening made is not walked by every collection
        self.session.set_embeddings(result)
        self.embedded.emit(result)
        for note in result.notices:
            self.notice.emit(note)
        if result.cancelled:
            self.notice.emit(f"Stopped: {len(result)} images embedded so far are shown")
        if isinstance(result, IndexEmbeddings):
            self.notice.emit(describe(result))
        if len(result) >= 2:
            vectors, labels, note = metrics_sample(result)
            if note:
                self.notice.emit(f"Pair statistics {note}")
            self.run("pairs", lambda p, c: folder_pairs(vectors, labels), self.session.set_pairs)

    def _on_result(self, worker: Worker, value: Any, handler: Callable[[Any], None]) -> None:
        if self._current(worker):
            handler(value)

    def _model_failed(self, path: Path, exc: BaseException) -> None:
        self.failed.emit("Cannot open model", f"{path.name}: {exc}")

    def _current(self, worker: Worker) -> bool:
        return self.jobs.get(worker.name) is worker

    def _on_progress(self, worker: Worker, done: int, total: int) -> None:
        if not self._current(worker):
            return
        elapsed = time.monotonic() - self._started.get(worker.name, time.monotonic())
        eta = elapsed / done * (total - done) if 0 < done < total and elapsed > 0.5 else -1.0
        self.progress.emit(worker.name, done, total, eta)

    def _on_error(
        self, worker: Worker, exc: BaseException, handler: Callable[[BaseException], None] | None
    ) -> None:
        if not self._current(worker) or isinstance(exc, CancelledError):
            return
        log_unexpected(exc, f"the {worker.name} job")
        if handler is not None:
            handler(exc)
        else:
            self.failed.emit(PHASE_TITLES.get(worker.name, worker.name), str(exc))

    def _on_finished(self, worker: Worker) -> None:
        if self._current(worker):
            del self.jobs[worker.name]
            self._jobs_changed()
