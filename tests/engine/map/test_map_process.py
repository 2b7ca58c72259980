"""The map computed in a child process is the map computed here; Stop ends the child."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from lookalike.engine.errors import CancelledError
from lookalike.engine.map.map_process import MapRequest, map_page, map_page_in_child


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
