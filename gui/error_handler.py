"""One handler for every unexpected error: logged with its traceback, shown to the user in a dialog.

`sys.excepthook` receives what escapes a Qt slot or the main thread, `threading.excepthook` what
escapes any other thread; both log the traceback (to stderr and the log file) and hand a short
message to the window's error dialog, through a signal, so a worker thread never touches a widget.
Jobs run by the controller report their own errors (WorkerSignals.error); their bugs are logged
here too (`log_unexpected`).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from lookalike.engine.errors import LookalikeError, first_line
from PySide6.QtCore import QObject, Signal

LOG = logging.getLogger("lookalike")
TITLE = "Unexpected error"


def log_path() -> Path:
    """The app's log file: in LOOKALIKE_DATA_DIR when set (tests, portable installs), else the
    user's log folder."""
    override = os.environ.get("LOOKALIKE_DATA_DIR")
    if override:
        return Path(override) / "lookalike.log"
    import platformdirs

    return Path(platformdirs.user_log_dir("lookalike", appauthor=False)) / "lookalike.log"


def log_unexpected(exc: BaseException, where: str) -> None:
    """Log an error that is a bug, not bad input (a LookalikeError or an OSError is the user's)."""
    if not isinstance(exc, (LookalikeError, OSError)):
        LOG.error("unexpected error in %s", where, exc_info=(type(exc), exc, exc.__traceback__))


class ErrorHandler(QObject):
    """Owns the two hooks while installed; `raised` carries (title, message) to the dialog."""

    raised = Signal(str, str)

    def __init__(self, show: Callable[[str, str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.raised.connect(show)  # queued when emitted from another thread
        self._previous = (sys.excepthook, threading.excepthook)
        self._file: logging.Handler | None = None

    def install(self) -> ErrorHandler:
        """Take over both hooks and open the log file (stderr still gets every traceback)."""
        self._previous = (sys.excepthook, threading.excepthook)
        try:
            path = log_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = RotatingFileHandler(path, maxBytes=1 << 20, backupCount=2, encoding="utf-8")
            self._file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            LOG.addHandler(self._file)
        except OSError as exc:
            print(f"lookalike: cannot write the log file ({exc}); errors go to stderr only", file=sys.stderr)
        sys.excepthook = self.handle
        threading.excepthook = self._thread_hook
        return self

    def uninstall(self) -> None:
        """Give the hooks back and close the log file."""
        sys.excepthook, threading.excepthook = self._previous
        if self._file is not None:
            LOG.removeHandler(self._file)
            self._file.close()
            self._file = None

    def handle(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None, where: str = "the app"
    ) -> None:
        """Log the error and show it; Ctrl+C in a terminal still stops the app as before."""
        if issubclass(kind, KeyboardInterrupt):
            self._previous[0](kind, exc, tb)
            return
        traceback.print_exception(kind, exc, tb, file=sys.stderr)
        LOG.error("unexpected error in %s", where, exc_info=(kind, exc, tb))
        where_logged = f" The details are in {log_path()}." if self._file is not None else ""
        message = f"{kind.__name__}: {first_line(exc)}\n\nPlease report it.{where_logged}"
        self.raised.emit(TITLE, message)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        self.handle(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")


def install_error_handler(show: Callable[[str, str], None], parent: QObject) -> ErrorHandler:
    """Route every unexpected error of the app to `show` (the main window's error dialog)."""
    return ErrorHandler(show, parent).install()
