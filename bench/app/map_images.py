"""Issue 21, item 1: the map of images. How long the thumbnails take to appear, step by step, and
how long the UI thread stalls while the Map tab builds its map and pictures.

- placement: engine.map.atlas.place_thumbnails on N clustered points (whole view and a zoom);
- atlas steps: engine.map.atlas.build_atlas on a real folder, one step (decode a batch, draw) at a
  time until the whole view is complete, as the app's worker runs it;
- UI stall (--gui): the real main window (offscreen) opens FOLDER and shows the Map tab; a 5 ms
  timer's worst lateness from then until the pictures are complete, and the time to each stage.

    python -m bench.app.map_images --folder FOLDER [--gui]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from lookalike.engine.folder.scan import scan_folder
from lookalike.engine.map.atlas import (
    ThumbnailCache,
    View,
    build_atlas,
    drawing_order,
    place_thumbnails,
    whole_view,
)

from bench.common import Report, timed, verdict

GOAL_STALL_MS = 50.0
GOAL_READY_S = 10.0  # the map interactive (its page ready) after the tab opens


def placement(report: Report, n: int) -> None:
    """Greedy placement cost on n points in 40 clusters."""
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=30, size=(40, 2))
    points = (centres[rng.integers(0, 40, n)] + rng.normal(size=(n, 2))).astype(np.float32)
    whole = whole_view(points, 1600, 1000)
    t_whole, placed = timed(lambda: place_thumbnails(points, whole, drawing_order(n)))
    zoom = View(whole.x0 / 4, whole.x1 / 4, whole.y0 / 4, whole.y1 / 4, 1600, 1000)
    t_zoom, zoomed = timed(lambda: place_thumbnails(points, zoom, drawing_order(n)))
    report.table(
        ("points", "view", "seconds", "thumbnails placed"),
        [
            (f"{n:,}", "whole", f"{t_whole:.3f}", f"{len(placed):,}"),
            (f"{n:,}", "zoom ×4", f"{t_zoom:.3f}", f"{len(zoomed):,}"),
        ],
    )


def atlas_steps(report: Report, folder: Path) -> None:
    """Steps until the whole view of a real folder's thumbnails is complete (random map positions)."""
    entries, _bad = scan_folder(str(folder))
    paths = [str(folder / e.rel_path) for e in entries]
    points = np.random.default_rng(0).normal(size=(len(paths), 2)).astype(np.float32)
    rows = np.arange(len(paths))
    cache = ThumbnailCache(lambda r: paths[r])
    view = whole_view(points, 1600, 1000)
    out = []
    for step in range(1, 50):
        seconds, atlas = timed(lambda: build_atlas(points, rows, view, cache))
        out.append((str(step), f"{seconds:.2f}", f"{atlas.drawn:,}", "yes" if atlas.complete else "no"))
        if atlas.complete:
            break
    report.add(f"{len(paths):,} images in {folder}, whole view 1600×1000:", "")
    report.table(("step", "seconds", "thumbnails drawn", "complete"), out)


def gui_stall(report: Report, folder: Path) -> None:
    """The real window: worst event-loop lateness while the Map tab builds the map and its pictures."""
    import tempfile

    from lookalike.gui.map.web_engine_env import configure_web_engine_env

    configure_web_engine_env()
    import PySide6.QtWebEngineWidgets  # noqa: F401
    from lookalike.engine.model.bundled import default_model_path
    from lookalike.gui.main_window import MainWindow
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication([])  # kept alive while the window lives
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.resize(1400, 900)
    window.show()

    def wait(signal: Any, check: Callable[..., bool] | None = None) -> None:
        loop = QEventLoop()
        signal.connect(lambda *a: loop.quit() if check is None or check(*a) else None)
        QTimer.singleShot(300_000, loop.quit)
        loop.exec()

    window.open_model(default_model_path())
    wait(window.session.model_changed)
    window.open_folder(folder)
    wait(window.session.pairs_changed, lambda p: p is not None)
    late, cpu = [0.0], [0.0]
    last = [time.perf_counter(), time.thread_time()]

    stalls: list[tuple[float, float]] = []  # (seconds since the tab opened, ms late)

    def tick() -> None:
        now, used = time.perf_counter(), time.thread_time()
        lateness = (now - last[0]) * 1000 - 5
        late[0] = max(late[0], lateness)
        cpu[0] = max(cpu[0], (used - last[1]) * 1000)  # the UI thread's own work, not its waits
        if lateness > GOAL_STALL_MS:
            stalls.append((now - start, lateness))
        last[0], last[1] = now, used

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    start = time.perf_counter()
    last[0], last[1] = start, time.thread_time()
    timer.start()
    window.tabs.setCurrentWidget(window.map)
    wait(window.map.page_ready)
    ready = time.perf_counter() - start
    wait(window.map.atlas.drawn, lambda a: a.complete)
    done = time.perf_counter() - start
    timer.stop()
    n = len(window.session.embeddings or [])
    report.table(
        (
            "images",
            "map page ready (s)",
            "pictures complete (s)",
            "worst UI stall (ms)",
            "busiest UI turn, CPU (ms)",
            f"goal ≤ {GOAL_STALL_MS:.0f} ms",
            f"ready ≤ {GOAL_READY_S:.0f} s",
        ),
        [
            (
                f"{n:,}",
                f"{ready:.1f}",
                f"{done:.1f}",
                f"{late[0]:.0f}",
                f"{cpu[0]:.0f}",
                verdict(late[0] <= GOAL_STALL_MS),
                verdict(ready <= GOAL_READY_S),
            )
        ],
    )
    report.add(
        "Worst UI stall: the 5 ms timer's worst lateness from the tab's opening until the pictures are "
        "complete; busiest UI turn: the UI thread's most CPU time between two ticks (its own work: load on "
        "other cores does not inflate it).",
        "",
    )
    report.add(
        "Stalls over the goal (s after the tab opened: ms): "
        + ", ".join(f"{t:.1f}: {ms:.0f}" for t, ms in stalls),
        "",
    )
    window.close()


def main() -> None:
    """Run the parts asked for and save the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--gui", action="store_true")
    args = parser.parse_args()
    report = Report("map_images", "Map of images: placement, progressive pictures, UI stall")
    placement(report, args.points)
    atlas_steps(report, args.folder)
    if args.gui:
        gui_stall(report, args.folder)
    report.save()


if __name__ == "__main__":
    main()
