"""The garbage collector around bulk work: long-lived objects made in bulk are not walked again and again.

Opening a 100,000-image folder makes ~100,000 long-lived objects (scan entries, cache keys) at
once. Each full collection walks every tracked object with the GIL held, so collections that ran
while they were made, and every later one, froze the window: gen-2 passes of 30-57 ms on the UI
thread and 15-34 ms in the opening's worker (gc.callbacks, bench/app/big_window.py's folder). So
collection pauses while a folder is read, and what the opening made is then frozen (gc.freeze),
as freeze_startup_heap does for startup: it stays exempt from collection while it lives; freeing
by reference count is unaffected, only cycles among frozen objects would outlive their use.
A duplicates listing pauses collection too (its per-picture records: gen-2 passes of 32 ms at
30,000 images, the same peak memory without them). The last pause to end freezes what is alive;
the opening's arrival freezes again, for an opening that ended while another pause still ran.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # openings in flight (a second folder may be opened before the first one ends)


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic collection while the body runs (the last of overlapping bodies resumes it, and
    freezes what is alive then).

    Objects made while collection is off all wait in the youngest generation, and the first
    collection after it walks every one of them with the GIL held: after a duplicates listing at
    100,000 images ~100 ms (the app's window froze; a worker's lateness probe); 600,000 objects,
    54 ms. Frozen, they are not walked: freed by reference count as usual, only cycles among them
    would outlive their use (freeze_long_lived's trade, too).
    """
    global _paused
    with _lock:
        _paused += 1
        gc.disable()
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0:
                freeze_long_lived()
                gc.enable()


def freeze_long_lived() -> None:
    """Exempt every object alive now from later collections (after startup; a folder has just arrived)."""
    gc.freeze()
