"""The real main window under measurement (offscreen): built as the app builds it, its event loop probed.

make_window builds it with a model loaded, wait_for runs the event loop until a signal fires, and
LatenessProbe's 5 ms timer measures how late the loop runs. Shared by gui_responsiveness.py and
big_window.py (the child process of big_folder.py).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

TIMEOUT_S = 900


class LatenessProbe:
    """A precise 5 ms timer; its worst gap minus 5 ms is the longest the event loop was stalled."""

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms / 1000
        self.gaps: list[float] = []
        self.cpu: list[float] = []  # UI-thread CPU time per gap: the work, without waits for a core
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._marked = False
        self.marked_turn: tuple[float, float] | None = None  # (wall ms, UI CPU ms) of the marked gap
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.gaps.append(now - self._last)
        self.cpu.append(cpu - self._last_cpu)
        if self._marked:
            self.marked_turn = ((now - self._last - self.interval) * 1000, (cpu - self._last_cpu) * 1000)
            self._marked = False
        self._last, self._last_cpu = now, cpu

    def start(self) -> None:
        """Begin (clears earlier gaps)."""
        self.gaps, self._last = [], time.perf_counter()
        self.cpu, self._last_cpu = [], time.thread_time()
        self.timer.start()

    def worst_ms(self) -> float:
        """Longest lateness so far, in ms."""
        return max(0.0, (max(self.gaps, default=self.interval) - self.interval) * 1000)

    def mark(self) -> None:
        """Remember the gap now in progress (e.g. the turn in which a signal is handled)."""
        self._marked = True

    def worst_cpu_ms(self) -> float:
        """Most UI-thread CPU time spent between two ticks, in ms (load on other cores excluded)."""
        return max(self.cpu, default=0.0) * 1000

    def p99_ms(self) -> float:
        """99th percentile lateness, in ms."""
        if not self.gaps:
            return 0.0
        return max(0.0, (float(np.percentile(self.gaps, 99)) - self.interval) * 1000)


def wait_for(signal: Any, accept: Any = lambda *a: True) -> None:
    """Run the event loop until `signal` fires with arguments `accept` likes (or time out)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timed_out: list[bool] = []

    def fired(*args: Any) -> None:
        if accept(*args):
            loop.quit()

    signal.connect(fired)

    def give_up() -> None:
        timed_out.append(True)
        loop.quit()

    QTimer.singleShot(TIMEOUT_S * 1000, give_up)
    loop.exec()
    signal.disconnect(fired)
    if timed_out:
        raise SystemExit(f"timed out after {TIMEOUT_S} s waiting for {signal}")


def make_window(model: Path, settings: Path) -> Any:
    """The real main window with the model loaded (built as gui.app.run_app builds it)."""
    from lookalike.gui.app import create_application, freeze_startup_heap

    create_application()
    from lookalike.gui.main_window import MainWindow
    from PySide6.QtCore import QSettings

    window = MainWindow(QSettings(str(settings), QSettings.Format.IniFormat))
    window.show()
    freeze_startup_heap()  # as gui.app.run_app does
    window.open_model(model)
    wait_for(window.session.model_changed)
    return window


def slider_move_seconds(window: Any, moves: int) -> list[float]:
    """Seconds from each slider move (spread over its range) until every posted event (counts,
    marks, repaints) is handled."""
    from PySide6.QtWidgets import QApplication

    slider = window.threshold_bar.slider
    out = []
    for value in np.linspace(slider.minimum() + 100, slider.maximum() - 100, moves).astype(int):
        start = time.perf_counter()
        slider.setValue(int(value))
        QApplication.processEvents()
        QApplication.processEvents()
        out.append(time.perf_counter() - start)
    return out
