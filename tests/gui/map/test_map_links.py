"""The linked map: the gallery's selection is highlighted in the page, points are coloured by class,
distance or match, file names are found, and the map and its lasso selection are exported."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from lookalike.engine.map.colours import MATCH_COLOUR, NO_MATCH_COLOUR, QUERY_COLOUR
from lookalike.engine.map.export import write_map_html
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.search.distances import distances_to
from lookalike.gui.main_window import MainWindow
from lookalike.gui.map import links as map_links
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG, MakeWindow, embeddings_of, open_folder
from tests.gui.map.test_map import js, show_map
from tests.gui.samples import copy_samples


def select_in_gallery(window: Any, rows: list[int]) -> None:
    """Select rows the way a user does: through the gallery's own selection model."""
    from PySide6.QtCore import QItemSelection, QItemSelectionModel

    gallery = window.gallery
    selection = QItemSelection()
    for row in rows:
        idx = gallery.proxy.mapFromSource(gallery.model.index(row))
        selection.select(idx, idx)
    gallery.list.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def marked(qtbot: QtBot, window: MainWindow, name: str) -> list[int]:
    """Rows the page shows in its `name` highlight trace, read back from plotly's own data."""
    script = (
        "(function () { var gd = document.getElementById('map');"
        f" var t = gd.data.filter(function (d) {{ return d.name === '{name}'; }})[0];"
        " return JSON.stringify(t.customdata.map(function (c) { return c[0]; })); })()"
    )
    return sorted(int(r) for r in json.loads(js(qtbot, window, script)))


def test_gallery_selection_colours_and_search_show_on_the_map(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(model=default_model_path())
    folder = copy_samples(tmp_path / "samples")
    open_folder(qtbot, window, folder)
    emb = embeddings_of(window)
    show_map(qtbot, window)
    assert marked(qtbot, window, "selection") == []

    select_in_gallery(window, [7])
    assert window.session.selection == [7]
    assert marked(qtbot, window, "selection") == [7]
    select_in_gallery(window, [3, 20, 41])
    assert marked(qtbot, window, "selection") == [3, 20, 41]
    select_in_gallery(window, [12])

    links = window.map.links
    colourers: list[threading.Thread] = []
    colour_script = map_links.colour_script

    def colour_and_note_thread(*args: Any) -> str:
        colourers.append(threading.current_thread())
        return colour_script(*args)

    monkeypatch.setattr(map_links, "colour_script", colour_and_note_thread)
    with qtbot.waitSignal(links.applied, timeout=LONG):  # colours come from a worker
        links.set_mode("match")
    threshold = window.session.threshold
    dist = distances_to(emb.vectors, emb.vectors[12])
    for row in (12, int(dist.argsort()[1]), int(dist.argmax())):
        want = QUERY_COLOUR if row == 12 else (MATCH_COLOUR if dist[row] < threshold else NO_MATCH_COLOUR)
        assert js(qtbot, window, f"window.lookalikeColourOf({row})") == want
    with qtbot.waitSignal(links.applied, timeout=LONG):
        links.set_mode("distance")
    assert len(colourers) == 2
    assert threading.main_thread() not in colourers  # a pass over every image, off the UI thread
    far = int(dist.argmax())
    assert js(qtbot, window, f"window.lookalikeColourOf({far})") == pytest.approx(dist[far], abs=1e-4)
    scale = "document.getElementById('map').data.find(t => t.marker && t.marker.showscale).marker.colorbar"
    assert js(qtbot, window, f"{scale}.title.text") == "distance"
    assert js(qtbot, window, f"{scale}.bgcolor").startswith("rgba(255,255,255")  # readable over thumbnails
    links.set_mode("cluster")  # computed in a worker, once per folder, without any selection needed
    qtbot.waitUntil(lambda: links.clusters is not None, timeout=LONG)
    assert links.clusters is not None
    qtbot.waitUntil(lambda: js(qtbot, window, "window.lookalikeColouring") == "list", timeout=LONG)
    for row in (0, 12, len(emb) - 1):
        assert js(qtbot, window, f"window.lookalikeColourOf({row})") == links.clusters[row]
    links.set_mode("class")
    assert js(qtbot, window, "window.lookalikeColouring") == "class"

    window.map.controls.search.setText("FLAG_JM/")
    expected = [i for i, p in enumerate(emb.paths) if p.startswith("flag_jm/")]
    n_files = len(list((folder / "flag_jm").iterdir()))
    assert len(expected) == n_files > 0
    assert marked(qtbot, window, "search") == expected
    assert window.map.controls.found.text() == f"{n_files} found"
    assert window.map.page.console_errors == []


def test_map_exports_html_png_and_the_lasso(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(model=default_model_path())
    open_folder(qtbot, window, copy_samples(tmp_path / "samples"))
    emb = embeddings_of(window)
    show_map(qtbot, window)
    links = window.map.links
    writers: list[threading.Thread] = []

    def write_and_note_thread(*args: Any, **kwargs: Any) -> Path:
        writers.append(threading.current_thread())
        return write_map_html(*args, **kwargs)

    monkeypatch.setattr(map_links, "write_map_html", write_and_note_thread)
    with qtbot.waitSignal(links.exported, timeout=LONG) as written:
        assert links.export("html", tmp_path / "map.html") == tmp_path / "map.html"
    assert len(writers) == 1
    assert writers[0] is not threading.main_thread()  # figure and page built off the UI thread
    page = written.args[0]
    assert page == tmp_path / "map.html"
    text = page.read_text(encoding="utf-8")
    assert "plotly" in text.lower()
    assert "QWebChannel" not in text  # standalone: no app bridge in the exported page
    assert all(p.rsplit("/", 1)[-1] in text for p in emb.paths[:5])

    with qtbot.waitSignal(links.exported, timeout=LONG) as done:
        links.export("png", tmp_path / "map.png")
    image = QImage(str(done.args[0]))
    assert (image.width(), image.height()) == (1400, 1000)
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 5  # the drawn map, not a blank frame

    with qtbot.waitSignal(window.session.subset_changed, timeout=LONG):
        js(
            qtbot,
            window,
            "document.getElementById('map').emit('plotly_selected', "
            "{points: [{customdata: [9, '']}, {customdata: [2, '']}, {customdata: [30, '']}]}); 1",
        )
    lasso = links.export("json", tmp_path / "lasso.json")
    assert lasso is not None
    rows = json.loads(lasso.read_text(encoding="utf-8"))
    assert [r["row"] for r in rows] == [2, 9, 30]
    assert [r["path"] for r in rows] == [emb.paths[i] for i in (2, 9, 30)]
    assert [r["class"] for r in rows] == [emb.labels[i] for i in (2, 9, 30)]
    written = links.export("csv", tmp_path / "lasso.csv")
    assert written == tmp_path / "lasso.csv"
    with written.open(encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [r["path"] for r in table] == [emb.paths[i] for i in (2, 9, 30)]
    assert all(float(r["x"]) == pytest.approx(d["x"]) for r, d in zip(table, rows, strict=True))
    # issue 19: the suffix is added, never swapped; nothing lands in the folder shown
    assert links.export("csv", tmp_path / "lasso.txt") == tmp_path / "lasso.txt.csv"
    before = sorted(p.name for p in emb.folder.rglob("*"))
    assert links.export("html", emb.folder / "map.html") is None
    assert window.last_error is not None
    assert "inside the folder being read" in str(window.last_error)
    assert sorted(p.name for p in emb.folder.rglob("*")) == before
