"""The map computed in a child process is the map computed here; Stop ends the child."""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import replace

import lookalike.engine.map.map_process as map_process
import numpy as np
import pytest
from lookalike.engine.errors import CancelledError
from lookalike.engine.map.map_process import (
    MapRequest,
    map_page,
    map_page_in_child,
    receive_request,
    send_request,
)


def request(n: int) -> MapRequest:
    x = np.random.default_rng(0).normal(size=(n, 16)).astype(np.float32)
    labels = [f"c{i % 4}" for i in range(n)]
    return MapRequest(x, [f"{lab}/{i}.png" for i, lab in enumerate(labels)], labels, script="var x = 1;")


def test_the_child_gives_the_same_map_with_progress() -> None:
    seen: list[tuple[int, int]] = []
    proj, page = map_page_in_child(request(60), progress=lambda d, t: seen.append((d, t)))
    here, here_page = map_page(request(60))
    np.testing.assert_array_equal(proj.points, here.points)
    assert page == here_page
    assert "var x = 1;" in page
    assert seen
    assert seen[-1][0] == seen[-1][1]


def test_stop_ends_the_child() -> None:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        cancel.set()  # the user presses Stop as soon as the map is under way

    with pytest.raises(CancelledError):
        map_page_in_child(request(2000), progress=progress, cancel=cancel)


def _sent(req: MapRequest, block: int) -> tuple[int, MapRequest, list[np.ndarray]]:
    """What send_request writes to a real pipe: the row count, the request without rows or names,
    the names' blocks, the rows' blocks (a thread sends, as the app's worker does, since a full pipe
    blocks its writer). The names come back in the head."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    sender = threading.Thread(target=send_request, args=(req, writer, None, block))
    sender.start()
    n, n_names, head = reader.recv()
    assert head.paths == head.labels == ()
    names: list[tuple[tuple[str, ...], tuple[str | None, ...]]] = []
    while sum(len(p) for p, _ in names) < n_names:
        names.append(reader.recv())
    assert max(len(p) for p, _ in names) <= map_process.NAMES_PER_BLOCK
    paths = tuple(p for part, _ in names for p in part)
    labels = tuple(label for _, part in names for label in part)
    head = replace(head, paths=paths, labels=labels)
    blocks: list[np.ndarray] = []
    while sum(len(b) for b in blocks) < n:
        blocks.append(reader.recv())
    sender.join()
    return n, head, blocks


def test_the_vectors_go_to_the_child_a_block_at_a_time() -> None:
    """Pickling holds the GIL: the whole matrix in one piece would stall the app's UI thread."""
    req = request(300)  # 300 rows of 64 bytes
    n, head, blocks = _sent(req, block=1000)
    assert n == 300
    assert head.vectors.size == 0
    assert (list(head.paths), head.script) == (list(req.paths), req.script)
    assert len(blocks) == 20
    assert max(b.nbytes for b in blocks) <= 1000

    reader, writer = multiprocessing.Pipe(duplex=False)
    sender = threading.Thread(target=send_request, args=(req, writer, None, 1000))
    sender.start()
    back = receive_request(reader)
    sender.join()
    np.testing.assert_array_equal(back.vectors, req.vectors)
    assert back.vectors.dtype == req.vectors.dtype
    assert (list(back.paths), list(back.labels)) == (list(req.paths), list(req.labels))  # the same names
    assert (back.dark, back.script) == (req.dark, req.script)


def test_the_names_go_to_the_child_a_block_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """100,000 paths and labels pickled in one piece held the GIL for 43 ms."""
    monkeypatch.setattr(map_process, "NAMES_PER_BLOCK", 7)
    req = request(300)
    n, head, _ = _sent(req, block=1000)  # _sent checks each names block is at most 7 long
    assert n == 300
    assert (head.paths, head.labels) == (tuple(req.paths), tuple(req.labels))
    reader, writer = multiprocessing.Pipe(duplex=False)
    sender = threading.Thread(target=send_request, args=(req, writer, None, 1000))
    sender.start()
    back = receive_request(reader)
    sender.join()
    assert (back.paths, back.labels) == (tuple(req.paths), tuple(req.labels))
    np.testing.assert_array_equal(back.vectors, req.vectors)
