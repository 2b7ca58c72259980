"""One memory budget for decoded pixels, shared by every decode thread of the process.

A per-thread limit multiplies by the number of cores; this one does not: before decoding, a
thread reserves the bytes its image will need at its peak (estimated from the header) and waits
while other threads hold the rest. An image bigger than the whole budget waits until it can run
alone, so it still decodes, just never beside another big one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_MB = 1024
BUDGET_VARIABLE = "LOOKALIKE_DECODE_MB"
# Bytes per pixel as stored, by Pillow mode; anything unlisted is counted as 4.
_STORED_BYTES = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "RGB": 3, "YCbCr": 3, "I;16": 2, "I;16B": 2}


class DecodeBudget:
    """Bytes of decoded image data allowed in flight at once, across threads."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit = max(1, int(limit_bytes))
        self._in_use = 0
        self.peak = 0  # the most ever held at once (for tests and benchmarks)
        self._cond = threading.Condition()

    @contextmanager
    def reserve(self, nbytes: int) -> Iterator[None]:
        """Hold `nbytes` (capped at the whole budget) while inside; waits until they are free."""
        want = min(max(0, int(nbytes)), self.limit)
        with self._cond:
            self._cond.wait_for(lambda: self._in_use + want <= self.limit)
            self._in_use += want
            self.peak = max(self.peak, self._in_use)
        try:
            yield
        finally:
            with self._cond:
                self._in_use -= want
                self._cond.notify_all()


def peak_decode_bytes(width: int, height: int, mode: str) -> int:
    """What decoding and converting one image to RGB holds at its peak: stored pixels twice
    (decode, EXIF transpose) plus the 8-bit grey and RGB copies."""
    stored = _STORED_BYTES.get(mode, 4)
    return width * height * (2 * stored + 1 + 3)


def default_budget_bytes() -> int:
    """$LOOKALIKE_DECODE_MB megabytes, else 1 GiB (a bad value falls back to the default)."""
    text = os.environ.get(BUDGET_VARIABLE, "")
    try:
        mb = float(text) if text else DEFAULT_MB
    except ValueError:
        mb = DEFAULT_MB
    if not 1 <= mb < float("inf"):
        mb = DEFAULT_MB
    return int(mb * 1024 * 1024)


DECODE_BUDGET = DecodeBudget(default_budget_bytes())
