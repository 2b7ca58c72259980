"""Ctrl+C and SIGTERM during a long job: stop soon, keep what was done, exit within a second.

While `signals_set(cancel)` is active, the first SIGINT or SIGTERM only sets the cancel flag, so
the job (embed_folder) stops at the next image, saves what it embedded and returns; the caller
then raises Interrupted. A second signal interrupts at once (KeyboardInterrupt).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from lookalike.engine.errors import LookalikeError

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class JobInterruptedError(LookalikeError):
    """A job stopped by a signal after saving its work; exit code 128 + the signal's number."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum


@contextmanager
def signals_set(cancel: threading.Event) -> Iterator[list[int]]:
    """Route SIGINT/SIGTERM to `cancel` while inside; yields the list of signals received."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received  # only the main thread may install handlers (the GUI has its own cancel)
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if received:
            raise KeyboardInterrupt  # a second signal: the user wants out now
        received.append(signum)
        cancel.set()

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
