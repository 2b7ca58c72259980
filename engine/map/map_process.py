"""The map's heavy part, t-SNE and the plotly page, in a child process.

Both hold the GIL for long stretches (openTSNE's Python-level steps, first imports, plotly's JSON):
run in a thread of the app, they stalled its UI thread for up to 2 s (bench/app/map_images.py). A
spawned child has its own interpreter; the app's worker thread only feeds it the request and waits
on a queue, passing on progress and ending the child when the user stops.

The request goes over a pipe in pieces, the vectors a block of rows at a time: pickling is one C
call that holds the GIL throughout, and the whole matrix (16 MB for 2,700 images of 1,536
dimensions) held it for 12-26 ms, long enough on a busy machine to stall the UI thread past 50 ms
when the Map tab opened. One block holds it for about a millisecond. The names go in blocks too:
100,000 paths and labels in one piece held it for 43 ms.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import numpy as np
from lookalike.engine.errors import CancelledError, LookalikeError
from lookalike.engine.map.projection import Projection

POLL_S = 0.1
BLOCK_BYTES = 1 << 20  # vector rows per piece sent to the child, in bytes
NAMES_PER_BLOCK = 5_000  # paths and labels per piece (~2 ms of pickling)


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


def send_request(
    request: MapRequest, conn: Connection, cancel: threading.Event | None = None, block: int | None = None
) -> None:
    """The request without its rows, paths and labels, with their counts; then the paths and labels
    in blocks of NAMES_PER_BLOCK; then the rows in blocks of about `block` bytes (BLOCK_BYTES unless
    given)."""
    vectors = np.asarray(request.vectors)
    head = replace(request, vectors=vectors[:0].copy(), paths=(), labels=())
    conn.send((len(vectors), len(request.paths), head))
    for start in range(0, len(request.paths), NAMES_PER_BLOCK):
        stop = start + NAMES_PER_BLOCK
        conn.send((tuple(request.paths[start:stop]), tuple(request.labels[start:stop])))
    rows = max(1, (block or BLOCK_BYTES) // max(1, vectors[:1].nbytes))
    for start in range(0, len(vectors), rows):
        if cancel is not None and cancel.is_set():
            raise CancelledError("map cancelled")
        conn.send(np.ascontiguousarray(vectors[start : start + rows]))


def receive_request(conn: Connection) -> MapRequest:
    """The request send_request sent, rows put back together."""
    n, n_names, head = conn.recv()
    paths: list[str] = []
    labels: list[str | None] = []
    while len(paths) < n_names:
        more_paths, more_labels = conn.recv()
        paths += more_paths
        labels += more_labels
    vectors = np.empty((n, *head.vectors.shape[1:]), head.vectors.dtype)
    done = 0
    while done < n:
        part = conn.recv()
        vectors[done : done + len(part)] = part
        done += len(part)
    return replace(head, vectors=vectors, paths=tuple(paths), labels=tuple(labels))


def _child(inbox: Connection, out: Any) -> None:
    # Before openTSNE loads OpenMP: idle threads sleep rather than spin, so the map can use every
    # core without burning them while it waits, on a machine busy with other work too
    # (projection._threads).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        request = receive_request(inbox)
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
    inbox, feed = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(inbox, out), daemon=True, name="lookalike-map")
    child.start()
    inbox.close()  # the child's end: with it closed here, a child that died makes sending fail
    try:
        try:
            send_request(request, feed, cancel)
        except (BrokenPipeError, ConnectionResetError):
            child.join(1)
            raise LookalikeError(f"the map process ended unexpectedly (exit {child.exitcode})") from None
        return _answer(child, out, progress, cancel)
    finally:
        feed.close()
        if child.is_alive():
            child.terminate()
        child.join(5)
        out.close()
        out.join_thread()


def _answer(
    child: BaseProcess, out: Any, progress: Callable[[int, int], None] | None, cancel: threading.Event | None
) -> tuple[Projection, str]:
    """Wait for the child's result, passing on its progress; stop when cancelled or when it died."""
    while True:
        if cancel is not None and cancel.is_set():
            raise CancelledError("map cancelled")
        try:
            message = out.get(timeout=POLL_S)
        except queue.Empty:
            if not child.is_alive() and out.empty():
                raise LookalikeError(f"the map process ended unexpectedly (exit {child.exitcode})") from None
            continue
        if message[0] == "progress" and progress is not None:
            progress(message[1], message[2])
        elif message[0] == "done":
            return message[1], message[2]
        elif message[0] == "error":
            raise LookalikeError(f"the map could not be computed: {message[1]}")
