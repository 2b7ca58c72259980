"""The app half of bench/app/big_folder.py: the real main window (offscreen) on a big folder, warm cache.

Run as a child process by bench/app/big_folder.py; prints one `RESULT {json}` line:
- usable_s: from "open folder" until the gallery is filled, the first image's neighbours are shown
  (it is selected as soon as the embeddings are in) and the slider is live (pair statistics in);
- neighbours_ms / _max_ms: selection → its neighbours shown, over NEIGHBOUR_CLICKS rows;
- slider_ms / _max_ms: a slider move until every posted event is handled, one image selected;
- duplicates_s, map_s (map_points: the sample t-SNE ran on): from opening the tab to the result;
- stall_ms: the longest event-loop lateness of a 5 ms timer over all of it (step_stalls_ms: per step);
- step_peaks_mb: the resident high-water mark of each step (reset between steps).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

from bench.app.window_probe import LatenessProbe, make_window, slider_move_seconds, wait_for

NEIGHBOUR_CLICKS = 10
SLIDER_MOVES = 25


def reset_peak() -> None:
    """Start a new resident high-water mark (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mb(field: str = "VmHWM") -> float:
    """The resident high-water mark since the last reset (or, with field="VmRSS", the resident
    size now), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fire_and_wait(trigger: Callable[[], object], signal: Any, accept: Any = lambda *a: True) -> float:
    """Seconds from calling `trigger` until `signal` fires with arguments `accept` likes."""
    got: list[float] = []

    def fired(*args: Any) -> None:
        if accept(*args) and not got:
            got.append(time.perf_counter())

    signal.connect(fired)
    start = time.perf_counter()
    trigger()
    if not got:
        wait_for(signal, lambda *a: bool(got))
    signal.disconnect(fired)
    return got[0] - start


def open_until_usable(window: Any, folder: Path) -> float:
    """Open the folder; seconds until gallery filled, first neighbours shown and slider live."""
    done: dict[str, float] = {}
    start = time.perf_counter()
    window.gallery.model.loaded.connect(lambda: done.setdefault("gallery", time.perf_counter()))
    window.neighbours.shown.connect(lambda: done.setdefault("neighbours", time.perf_counter()))
    window.session.pairs_changed.connect(
        lambda p: done.setdefault("slider", time.perf_counter()) if p is not None else None
    )
    window.controller.embedded.connect(lambda _e: window.session.select([0]))  # the user's first click
    window.open_folder(folder)
    while len(done) < 3:
        wait_for(window.probe.timer.timeout)
    return max(done.values()) - start


def neighbours_ms(window: Any) -> list[float]:
    """Selection → neighbours shown, for rows spread over the folder."""
    n = len(window.session.embeddings)
    rows = np.linspace(1, n - 1, NEIGHBOUR_CLICKS).astype(int)
    return [
        1000 * fire_and_wait(partial(window.session.select, [int(r)]), window.neighbours.shown) for r in rows
    ]


def slider_ms(window: Any) -> list[float]:
    """A slider move until every posted event (counts, marks, repaints) is handled, in ms."""
    return [1000 * t for t in slider_move_seconds(window, SLIDER_MOVES)]


def run(folder: Path, settings: Path) -> dict[str, Any]:
    """Every step in order; the measurements as one dict."""
    from lookalike.engine.model.bundled import default_model_path

    window = make_window(default_model_path(), settings)
    window.probe = probe = LatenessProbe()
    probe.start()
    out: dict[str, Any] = {"step_peaks_mb": {}, "step_start_mb": {}, "step_stalls_ms": {}}
    steps: list[tuple[str, Callable[[], None]]] = [
        ("open", lambda: out.__setitem__("usable_s", open_until_usable(window, folder))),
        ("neighbours", lambda: out.__setitem__("neighbours", neighbours_ms(window))),
        ("slider", lambda: out.__setitem__("slider", slider_ms(window))),
        ("duplicates", lambda: out.__setitem__("duplicates_s", _tab(window, "duplicates", "listed"))),
        ("map", lambda: out.__setitem__("map_s", _tab(window, "map", "page_ready"))),
    ]
    for name, step in steps:
        out["step_start_mb"][name] = round(peak_mb("VmRSS"))  # what earlier steps left resident
        reset_peak()
        probe.start()
        step()
        out["step_peaks_mb"][name] = round(peak_mb())
        out["step_stalls_ms"][name] = round(probe.worst_ms(), 1)
    out["stall_ms"] = max(out["step_stalls_ms"].values())
    probe.timer.stop()
    proj = window.map.projection
    out["map_points"] = len(proj.indices) if proj is not None else 0
    nb, sl = out.pop("neighbours"), out.pop("slider")
    out |= {"neighbours_ms": statistics.median(nb), "neighbours_max_ms": max(nb)}
    out |= {"slider_ms": statistics.median(sl), "slider_max_ms": max(sl)}
    window.close()
    return out


def _tab(window: Any, view: str, signal: str) -> float:
    """Open a tab that computes when shown; seconds until its result is in."""
    widget = getattr(window, view)
    return fire_and_wait(lambda: window.tabs.setCurrentWidget(widget), getattr(widget, signal))


def main() -> None:
    """Command line (bench/app/big_folder.py runs it)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--settings", type=Path, required=True)
    args = parser.parse_args()
    print("RESULT " + json.dumps(run(args.folder, args.settings)), flush=True)


if __name__ == "__main__":
    main()
