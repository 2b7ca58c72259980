"""The status bar shows the work in flight, never the last count of a phase that has ended."""

from __future__ import annotations

import threading

from lookalike.gui.widgets.workers import ProgressFn
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG, MakeWindow


def test_a_finished_phase_leaves_no_stale_progress(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    controller, status = window.controller, window.status
    release = threading.Event()

    def embed(progress: ProgressFn, cancel: threading.Event) -> None:
        progress(1898, 1898)

    def pairs(progress: ProgressFn, cancel: threading.Event) -> None:
        release.wait(LONG / 1000)  # a pair-statistics job that reports no progress, as the real one

    with qtbot.waitSignal(controller.progress, timeout=LONG):
        controller.run("pairs", pairs, lambda _r: None)
        controller.run("embed", embed, lambda _r: None)
    try:
        qtbot.waitUntil(lambda: "embed" not in controller.jobs, timeout=LONG)
        assert "Embedding" not in status.phase.text()
        assert status.phase.text() == "Pair statistics…"
        assert status.stop_button.isVisible()  # the pair statistics still run and can be stopped
        assert not status.bar.isVisible()  # no count of theirs is known: the text says what runs
        assert status.bar.maximum() > 0  # never Qt's busy bar (its animation repaints every frame)
    finally:
        release.set()
    qtbot.waitUntil(lambda: not controller.busy, timeout=LONG)
    assert status.phase.text() == ""
    assert not status.bar.isVisible()
    assert not status.stop_button.isVisible()
