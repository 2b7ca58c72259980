"""The training process seen from the app: QProcess, JSON-line events, stop, and export on stop.

torch lives only in the child process (`lookalike train --progress-json`); this side reads lines.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

from lookalike.engine.teaching.teach_run import child_env, parse_event
from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal


class ChildProcess(QObject):
    """One command run with QProcess: events from stdout JSON lines, a stderr tail for errors."""

    event_received = Signal(dict)
    ended = Signal(int, str)  # exit code (-1: crashed or stopped), last stderr lines

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.process = QProcess(self)
        env = QProcessEnvironment()
        for key, value in child_env().items():
            env.insert(key, value)
        self.process.setProcessEnvironment(env)
        self.process.readyReadStandardOutput.connect(self._stdout)
        self.process.readyReadStandardError.connect(self._stderr)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)
        self._out = b""
        self.tail: deque[str] = deque(maxlen=12)
        self.events: list[dict[str, Any]] = []

    def start(self, command: list[str]) -> None:
        """Start `command` (program first)."""
        self.process.start(command[0], command[1:])

    @property
    def running(self) -> bool:
        """True while the child lives."""
        return self.process.state() != QProcess.ProcessState.NotRunning

    def stop(self) -> None:
        """Ask the child to end (SIGTERM); checkpoints are written atomically, so best.pt survives."""
        if self.running:
            self.process.terminate()

    def kill_and_wait(self, ms: int = 5000) -> None:
        """For closing the app: end the child now and wait for it."""
        if self.running:
            self.process.kill()
            self.process.waitForFinished(ms)

    def _stdout(self) -> None:
        self._out += bytes(self.process.readAllStandardOutput().data())
        *lines, self._out = self._out.split(b"\n")
        for raw in lines:
            event = parse_event(raw.decode("utf-8", "replace"))
            if event is not None:
                self.events.append(event)
                self.event_received.emit(event)

    def _stderr(self) -> None:
        text = bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace")
        self.tail.extend(line for line in text.splitlines() if line.strip())

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._stdout()
        self._stderr()
        crashed = status == QProcess.ExitStatus.CrashExit
        self.ended.emit(-1 if crashed else int(code), "\n".join(self.tail))

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.ended.emit(-1, f"could not start the training process: {self.process.errorString()}")


def stopped_model_path(run_dir: Path) -> Path:
    """Where Stop exports the best checkpoint of an interrupted run."""
    return run_dir / "model.onnx"
