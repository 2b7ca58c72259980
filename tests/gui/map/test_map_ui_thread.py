"""The map's heavy work never lands on the UI thread: t-SNE and the page are made in a child process
fed in small pieces (pickling holds the GIL, so one big piece stalls the UI thread even from a
worker), thumbnails are drawn in a worker, the page comes from a file, and a folder of more classes
than a legend can show is drawn as one trace (one per class made plotly's own work grow with them)."""

from __future__ import annotations

import shutil
import threading
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

import pytest
from lookalike.engine.map import figure, map_process, projection
from lookalike.engine.map.colours import class_colours
from lookalike.engine.map.figure import LEGEND_MAX
from lookalike.gui.map import atlas as gui_atlas
from lookalike.gui.map import view as gui_view
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG, MakeWindow, embeddings_of, open_folder
from tests.gui.map.test_map import js, show_map
from tests.gui.map.test_map_links import select_in_gallery
from tests.gui.spies import record_calls
from tests.model_factory import projection_model

CLASSES = LEGEND_MAX + 5
DIM = 1024  # 45 images: 184 KB of vectors, well above a piece's bound
BLOCK = 8 * 1024
PIECE_MAX = 32 * 1024  # a block, or the request's names and page script without any rows


def many_classes(root: Path, image_data: Path) -> Path:
    """One real card image in each of CLASSES class folders."""
    files = sorted(p for p in (image_data / "cards").rglob("*") if p.is_file())[:CLASSES]
    for i, src in enumerate(files):
        (root / f"class{i:02d}").mkdir(parents=True)
        shutil.copy2(src, root / f"class{i:02d}" / src.name)
    return root


def spy_pickles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bytes of every pickle this process makes for a child (spawn arguments, pipe and queue sends)."""
    sizes: list[int] = []
    real_init, real_dump = ForkingPickler.__init__, ForkingPickler.dump

    def init(self: Any, file: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, file, *args, **kwargs)
        self.spied_file = file

    def dump(self: Any, obj: Any) -> None:
        start = self.spied_file.tell()
        real_dump(self, obj)
        sizes.append(self.spied_file.tell() - start)

    monkeypatch.setattr(ForkingPickler, "__init__", init)
    monkeypatch.setattr(ForkingPickler, "dump", dump)
    return sizes


def spy_thread(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[threading.Thread]:
    """The threads `module.name` is called in."""
    return record_calls(monkeypatch, module, name, threading.current_thread)


def test_heavy_map_work_stays_off_the_ui_thread(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, image_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = many_classes(tmp_path / "classes", image_data)
    window = make_window(model=projection_model(tmp_path / "wide.onnx", input_size=24, dim=DIM))
    open_folder(qtbot, window, folder)
    emb = embeddings_of(window)
    assert emb.vectors.nbytes > 4 * PIECE_MAX

    monkeypatch.setattr(map_process, "BLOCK_BYTES", BLOCK)
    pickles = spy_pickles(monkeypatch)
    mappers = spy_thread(monkeypatch, gui_view, "map_page_in_child")
    drawers = spy_thread(monkeypatch, gui_atlas, "build_atlas")  # in the job that also PNG-encodes
    # The child is spawned, a new interpreter: it never sees these spies, only this process would.
    here = spy_thread(monkeypatch, projection, "tsne_2d") + spy_thread(monkeypatch, figure, "map_figure")
    with qtbot.waitSignal(window.map.atlas.drawn, timeout=LONG, check_params_cb=lambda a: a.complete):
        show_map(qtbot, window)

    main = threading.main_thread()
    assert mappers
    assert main not in mappers
    assert drawers
    assert main not in drawers
    assert here == []  # t-SNE and plotly ran in the child, not in a thread holding this GIL
    assert sum(pickles) >= emb.vectors.nbytes  # the vectors did go to the child...
    assert max(pickles) <= PIECE_MAX  # ...never in one piece
    assert window.map.web.url().isLocalFile()  # the multi-megabyte page is never a Qt call's argument

    # More classes than a legend shows: one trace, coloured by class, that the app's calls still drive.
    assert js(qtbot, window, "document.getElementById('map').data.length") == 3  # points + 2 marks
    names = sorted({str(label) for label in emb.labels})
    colour_of = dict(zip(names, class_colours(len(names)), strict=True))
    rows = (0, 7, len(emb) - 1)
    for row in rows:
        assert js(qtbot, window, f"window.lookalikeColourOf({row})") == colour_of[str(emb.labels[row])]
    links = window.map.links
    select_in_gallery(window, [7])
    with qtbot.waitSignal(links.applied, timeout=LONG):
        links.set_mode("distance")
    assert js(qtbot, window, "window.lookalikeColourOf(7)") == pytest.approx(0.0)
    links.set_mode("class")
    for row in rows:
        assert js(qtbot, window, f"window.lookalikeColourOf({row})") == colour_of[str(emb.labels[row])]
    assert window.map.page.console_errors == []
