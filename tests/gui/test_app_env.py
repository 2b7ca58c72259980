"""Process set-up the app does before Qt starts (Chromium flags), and the Qt build it relies on."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from lookalike.gui.map.web_engine_env import chromium_flags


def test_chromium_flags_follow_the_environment() -> None:
    assert chromium_flags({"QT_QPA_PLATFORM": "offscreen"}, euid=0) == [
        "--log-level=3",
        "--no-sandbox",
        "--ignore-gpu-blocklist",
    ]
    assert chromium_flags({"XAUTHORITY": "/tmp/xvfb-run.abc/Xauthority"}, euid=1000) == [
        "--log-level=3",
        "--disable-gpu-compositing",
    ]
    assert chromium_flags({}, euid=1000) == ["--log-level=3"]


def test_signals_from_worker_threads_keep_python_alive() -> None:
    """PySide6 6.12.0 lost a reference to True per signal emitted from a pool thread and aborted
    the interpreter ("bool_dealloc"); pyproject excludes it. This fails on such a build."""
    script = textwrap.dedent(
        """
        import sys
        from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal
        app = QCoreApplication([])
        class Source(QObject):
            fired = Signal(bool)
        source, got = Source(), []
        source.fired.connect(got.append)
        class Emit(QRunnable):
            def run(self):
                for _ in range(3000):
                    source.fired.emit(True)
        before = sys.getrefcount(True)
        pool = QThreadPool.globalInstance()
        pool.start(Emit())
        pool.waitForDone()
        app.processEvents()
        print(len(got), sys.getrefcount(True) - before)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-500:]
    received, delta = map(int, done.stdout.split())
    assert received == 3000
    assert delta >= 3000  # the list holds 3000 references; a leaking build shows far fewer


def test_no_screen_is_one_clear_error_not_a_qt_abort() -> None:
    from lookalike.gui.command import missing_screen

    problem = missing_screen({}, "linux")
    assert problem is not None
    assert "xvfb-run" in problem
    assert missing_screen({"DISPLAY": ":99"}, "linux") is None
    assert missing_screen({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert missing_screen({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert missing_screen({}, "darwin") is None


def test_the_app_sets_chromium_flags_before_qt_starts() -> None:
    """Run in a fresh process without the variable (the test session's conftest sets it itself)."""
    script = textwrap.dedent(
        """
        import os
        from lookalike.gui.app import create_application
        from lookalike.gui.map.web_engine_env import FLAGS_VAR, chromium_flags
        before = os.environ.get(FLAGS_VAR)
        create_application()
        print(repr(before), "|", os.environ[FLAGS_VAR], "|", " ".join(chromium_flags()))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "QTWEBENGINE_CHROMIUM_FLAGS"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-800:]
    before, got, want = (part.strip() for part in done.stdout.split("|"))
    assert before == "None"
    assert got == want
    assert "--log-level=3" in got


def test_the_app_hands_the_gil_to_the_ui_thread_sooner() -> None:
    """Each call from Qt into Python waits for the GIL while a worker runs Python: the app shortens
    Python's switch interval (5 ms) so the window's turns wait less (gui.app.UI_SWITCH_INTERVAL_S)."""
    script = textwrap.dedent(
        """
        import sys
        from lookalike.gui.app import UI_SWITCH_INTERVAL_S, create_application
        before = sys.getswitchinterval()
        create_application()
        print(before, sys.getswitchinterval(), UI_SWITCH_INTERVAL_S)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-800:]
    before, after, wanted = (float(x) for x in done.stdout.split())
    assert before == 0.005  # Python's own
    assert after == wanted
    assert wanted <= 0.001
