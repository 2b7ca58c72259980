"""The map's heavy part, t-SNE and the plotly page, in a child process.

Both hold the GIL for long stretches (openTSNE's Python-level steps, first imports, plotly's JSON):
run in a thread of the app, they stalled its UI thread for up to 2 s (bench/map_images.py). A
spawned child has its own interpreter; the app's worker thread only waits on a queue, passing on
progress and ending the child when the user stops.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from lookalike.engine.errors import CancelledError, LookalikeError
from lookalike.engine.map.projection import Projection

POLL_S = 0.1


@dataclass(frozen=True)
class MapRequest:
    """What the child needs: the vectors, names for the labels, the theme and the page's own script."""

    vectors: np.ndarray
    paths: Sequence[str]
    labels: Sequence[str | None]
    dark: bool = False
    script: str = ""


def map_page(
    request: MapRequest, progress: Callable[[int, int], None] | None = None
) -> tuple[Projection, str]:
    """The t-SNE projection and the page's HTML (plotly inlined), computed in this process."""
    from lookalike.engine.map.figure import map_figure, map_html
    from lookalike.engine.map.projection import tsne_2d

    proj = tsne_2d(request.vectors, seed=0, progress=progress)
    fig = map_figure(proj, request.paths, request.labels)
    if request.dark:
        fig.update_layout(template="plotly_dark")
    return proj, map_html(fig, request.script)


def _child(request: MapRequest, out: Any) -> None:
    try:
        result = map_page(request, lambda done, total: out.put(("progress", done, total)))
        out.put(("done", *result))
    except Exception as exc:
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def map_page_in_child(
    request: MapRequest,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[Projection, str]:
    """map_page in a spawned process; progress comes back, cancel ends the child at once."""
    ctx = multiprocessing.get_context("spawn")  # never fork a process that runs Qt threads
    out = ctx.Queue()
    child = ctx.Process(target=_child, args=(request, out), daemon=True, name="lookalike-map")
    child.start()
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise CancelledError("map cancelled")
            try:
                message = out.get(timeout=POLL_S)
            except queue.Empty:
                if not child.is_alive() and out.empty():
                    raise LookalikeError(
                        f"the map process ended unexpectedly (exit {child.exitcode})"
                    ) from None
                continue
            if message[0] == "progress" and progress is not None:
                progress(message[1], message[2])
            elif message[0] == "done":
                return message[1], message[2]
            elif message[0] == "error":
                raise LookalikeError(f"the map could not be computed: {message[1]}")
    finally:
        if child.is_alive():
            child.terminate()
        child.join(5)
        out.close()
        out.join_thread()
