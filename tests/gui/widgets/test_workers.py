"""The app's worker pool on its own: results and errors come back by signal on the UI thread, a
cancel reaches a running job's flag, a queued job that is cancelled never runs, shutdown waits."""

from __future__ import annotations

import threading
from typing import Any

from lookalike.gui.widgets.workers import Worker, WorkerPool
from pytestqt.qtbot import QtBot


def test_a_result_and_an_error_come_back_by_signal_on_the_ui_thread(qtbot: QtBot) -> None:
    pool = WorkerPool()
    where: list[threading.Thread] = []

    def reports(progress: Any, cancel: threading.Event) -> threading.Thread:
        progress(1, 1)
        return threading.current_thread()

    ok = Worker(reports)
    ok.signals.result.connect(lambda value: where.append(threading.current_thread()))
    with qtbot.waitSignal(ok.signals.result, timeout=5000) as got:
        pool.start(ok)
    assert got.args[0] is not threading.main_thread()  # the job ran in a pool thread
    assert where == [threading.main_thread()]  # its result was delivered on the UI thread

    def fails(progress: Any, cancel: threading.Event) -> None:
        raise ValueError("bad file")

    bad = Worker(fails)
    with qtbot.waitSignal(bad.signals.error, timeout=5000) as err:
        pool.start(bad)
    assert isinstance(err.args[0], ValueError)
    qtbot.waitUntil(lambda: not pool.active, timeout=5000)


def test_a_cancel_reaches_the_running_job_and_a_queued_job_never_runs(qtbot: QtBot) -> None:
    pool = WorkerPool(max_threads=1)
    started, ran_second = threading.Event(), threading.Event()

    def waits_for_cancel(progress: Any, cancel: threading.Event) -> str:
        started.set()
        return "stopped" if cancel.wait(5.0) else "timed out"

    first = pool.start(Worker(waits_for_cancel))
    second = pool.start(Worker(lambda progress, cancel: ran_second.set()))
    assert started.wait(5.0)
    pool.cancel(second)  # still queued behind the first: taken out of the pool
    assert second not in pool.active
    with qtbot.waitSignal(first.signals.result, timeout=5000) as got:
        pool.cancel(first)
    assert got.args[0] == "stopped"
    assert pool.shutdown(5000)
    assert not ran_second.is_set()
    assert pool.idle
