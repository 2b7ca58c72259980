"""Background work the superqt way: a QRunnable plus a QObject carrying its signals.

A job is a plain function `fn(progress, cancel)` that reports (done, total) and polls the cancel
flag; results, errors and progress come back to the UI thread by signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

ProgressFn = Callable[[int, int], None]
JobFn = Callable[[ProgressFn, threading.Event], Any]


class WorkerSignals(QObject):
    """Signals of one worker; emitted from the pool thread, delivered queued to the UI thread."""

    progress = Signal(int, int)
    result = Signal(object)
    error = Signal(object)
    finished = Signal()


class Worker(QRunnable):
    """Runs one job in a pool thread; `cancel()` sets the flag the job polls."""

    def __init__(self, fn: JobFn, name: str = "job") -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.name = name
        self.signals = WorkerSignals()
        self.cancel_flag = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop at its next check; its result is then ignored by the owner."""
        self.cancel_flag.set()

    def run(self) -> None:
        """Pool-thread entry point: every outcome becomes a signal, nothing escapes."""
        try:
            value = self.fn(self.signals.progress.emit, self.cancel_flag)
        except Exception as exc:
            self.signals.error.emit(exc)
        else:
            self.signals.result.emit(value)
        finally:
            self.signals.finished.emit()


class WorkerPool(QObject):
    """Owns a thread pool and the workers in flight, so the app can cancel and wait for all of them."""

    def __init__(self, max_threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.active: set[Worker] = set()

    def start(self, worker: Worker) -> Worker:
        """Queue a worker; it is kept alive until its finished signal reaches the UI thread."""
        self.active.add(worker)
        worker.signals.finished.connect(lambda w=worker: self.active.discard(w))
        self.pool.start(worker)
        return worker

    def cancel(self, worker: Worker) -> None:
        """Set one worker's cancel flag; drop it at once when it has not started yet."""
        worker.cancel()
        if self.pool.tryTake(worker):
            self.active.discard(worker)

    def cancel_all(self) -> None:
        """Set every in-flight worker's cancel flag, and drop the ones not started yet."""
        for worker in list(self.active):
            self.cancel(worker)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel everything and wait for the threads to finish (clean exit, no orphan thread)."""
        self.cancel_all()
        return bool(self.pool.waitForDone(timeout_ms))

    @property
    def idle(self) -> bool:
        """True when no thread of this pool runs a job."""
        return self.pool.activeThreadCount() == 0


class LatestOnly(QObject):
    """Requests of one kind whose newest answer alone matters (a selection's neighbours, a map
    export): each start cancels the request before it, and a stale result or error is dropped.
    Runs in its own small pool, so long jobs elsewhere (embedding, pair statistics) never queue it."""

    def __init__(self, name: str, threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.workers = WorkerPool(threads, self)
        self.current: Worker | None = None

    def start(
        self, fn: JobFn, on_result: Callable[[Any], None], on_error: Callable[[BaseException], None]
    ) -> Worker:
        """Run `fn` as the newest request; only its outcome reaches `on_result` / `on_error`."""
        self.drop()
        worker = Worker(fn, self.name)
        self.current = worker
        worker.signals.result.connect(lambda value, w=worker: self._deliver(w, on_result, value))
        worker.signals.error.connect(lambda exc, w=worker: self._deliver(w, on_error, exc))
        self.workers.start(worker)
        return worker

    def drop(self) -> None:
        """Forget the request in flight (the folder changed): its answer will be ignored."""
        if self.current is not None:
            self.workers.cancel(self.current)
            self.current = None

    def shutdown(self) -> None:
        """Drop everything and wait for the pool's threads (a clean close)."""
        self.drop()
        self.workers.shutdown()

    @property
    def idle(self) -> bool:
        """True when no request is running."""
        return self.workers.idle

    def _deliver(self, worker: Worker, handler: Callable[[Any], None], value: Any) -> None:
        """Hand `value` on only when `worker` is still the newest request."""
        if worker is self.current:
            self.current = None
            handler(value)
