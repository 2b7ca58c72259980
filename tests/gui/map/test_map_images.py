"""The map shows the images themselves at their places, drawn off the UI thread, redrawn on zoom."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG, MakeWindow, embeddings_of, open_folder
from tests.gui.map.test_map import js, show_map

IMAGES = "document.getElementById('map').layout.images || []"


def test_thumbnails_appear_beneath_the_points_and_follow_the_zoom(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path
) -> None:
    window = make_window()
    open_folder(qtbot, window, cards_folder)
    atlas = window.map.atlas
    with qtbot.waitSignal(atlas.drawn, timeout=LONG, check_params_cb=lambda a: a.complete) as done:
        show_map(qtbot, window)
    whole = done.args[0]
    assert whole.drawn > 0
    qtbot.waitUntil(lambda: js(qtbot, window, f"({IMAGES}).length") == 1, timeout=LONG)
    assert js(qtbot, window, f"({IMAGES})[0].source.indexOf('data:image/png;base64,')") == 0
    assert js(qtbot, window, f"({IMAGES})[0].layer") == "below"
    assert js(qtbot, window, "document.getElementById('map').data[0].marker.size") == 5  # images show
    assert window.map.projection is not None
    assert len(window.map.projection.indices) == len(embeddings_of(window))

    v = whole.view  # zoom into the middle third: the app draws that part again, at full size
    x0, x1 = v.x0 + (v.x1 - v.x0) / 3, v.x1 - (v.x1 - v.x0) / 3
    y0, y1 = v.y0 + (v.y1 - v.y0) / 3, v.y1 - (v.y1 - v.y0) / 3
    zoom = f"Plotly.relayout('map', {{'xaxis.range': [{x0}, {x1}], 'yaxis.range': [{y0}, {y1}]}}); 1"
    with qtbot.waitSignal(
        atlas.drawn, timeout=LONG, check_params_cb=lambda a: a.complete and abs(a.view.x0 - x0) < 1e-6
    ):
        js(qtbot, window, zoom)
    qtbot.waitUntil(lambda: abs(js(qtbot, window, f"({IMAGES})[0].x") - x0) < 1e-6, timeout=LONG)

    window.map.controls.images.setChecked(False)  # points only
    qtbot.waitUntil(lambda: js(qtbot, window, f"({IMAGES}).length") == 0, timeout=LONG)
    assert js(qtbot, window, "document.getElementById('map').data[0].marker.size") == 8
    assert window.map.page.console_errors == []
