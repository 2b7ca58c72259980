"""How a long engine call reports progress and learns that it should stop, from any caller.

The app passes its worker's progress signal and cancel flag, the CLI a terminal printer and
nothing to cancel, tests plain functions: the engine never needs to know which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class JobCancelledError(Exception):
    """Raised inside a long call when its caller asked it to stop; the caller catches it."""


def _never() -> bool:
    return False


@dataclass(frozen=True)
class JobHooks:
    """progress(done, total) after each piece of work; cancelled() asked between pieces."""

    progress: Callable[[int, int], None] | None = None
    cancelled: Callable[[], bool] = field(default=_never)

    def step(self, done: int, total: int) -> None:
        """Report progress, then stop (JobCancelledError) if the caller asked to."""
        if self.progress is not None:
            self.progress(done, total)
        if self.cancelled():
            raise JobCancelledError
