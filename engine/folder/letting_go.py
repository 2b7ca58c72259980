"""Letting go of a folder's bulk a slice at a time, so other threads get the GIL while it is freed.

A warm opening of 100,000 images ends with ~1.5 million objects nobody needs any more: the scan's
entries, the cache's keys, the vectors by path. Freed when embed_folder returned, they went in one
chain of deallocations, a single C call that held the GIL ~75 ms: the app's UI thread, wanting the
GIL for its next event, froze that long (bench/app/big_window.py, the opening's stall). Emptied a
slice at a time from Python, the interpreter may hand the GIL over between slices.
"""

from __future__ import annotations

from typing import Any

SLICE = 2_000  # items freed per step: well under a millisecond each


def free_gradually(*bulk: list[Any] | dict[Any, Any]) -> None:
    """Empty each list or dict in place, a slice at a time (whatever else still refers to an item
    keeps it: only the last reference frees)."""
    for items in bulk:
        if isinstance(items, dict):
            while items:
                for _ in range(min(SLICE, len(items))):
                    items.popitem()
        else:
            while items:
                del items[-SLICE:]
