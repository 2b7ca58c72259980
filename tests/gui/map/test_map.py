"""Use 3: the t-SNE map in QWebEngineView; clicks, lassos and hover go through the page's JS and channel."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from lookalike.gui.main_window import MainWindow
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG, MakeWindow, embeddings_of, open_folder

HOSTILE_CLASS = "<img src=x onerror=window.__pwned=1>"
HOSTILE_FILE = "<img src=x onerror=alert(1)>.jpg"


HOVER_POINT = (
    "var r = document.querySelectorAll('.point')[4].getBoundingClientRect();"
    "document.querySelector('.nsewdrag').dispatchEvent(new MouseEvent('mousemove',"
    " {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true})); 1"
)


LIST_CHANNEL = (
    "new QWebChannel(qt.webChannelTransport, function (ch) {"
    " var b = ch.objects.bridge; window.__members = Object.keys(b).filter(function (k) {"
    " return k.indexOf('(') < 0 && k.indexOf('_') !== 0"
    " && (typeof b[k] === 'function' || typeof b[k] === 'object'); }).join(',');"
    " window.__objects = Object.keys(ch.objects).join(','); b.deleteLater(); }); 1"
)


def js(qtbot: QtBot, window: MainWindow, script: str) -> Any:
    """Run a script in the map page and return its value."""
    with qtbot.waitCallback(timeout=LONG) as cb:
        window.map.page.runJavaScript(script, 0, cb)
    return cb.args[0]


def show_map(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.map.page_ready, timeout=LONG):
        window.tabs.setCurrentWidget(window.map)


def test_map_click_lasso_and_hover(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, cards_folder: Path
) -> None:
    folder = tmp_path / "cards"
    shutil.copytree(cards_folder, folder)
    hostile = folder / HOSTILE_CLASS
    hostile.mkdir()
    for i, src in enumerate(sorted((cards_folder / "1_of_spades").iterdir())[:3]):
        shutil.copy2(src, hostile / (HOSTILE_FILE if i == 0 else src.name))
    window = make_window()
    open_folder(qtbot, window, folder)
    emb = embeddings_of(window)
    show_map(qtbot, window)
    assert js(qtbot, window, "document.querySelectorAll('.point').length") == len(emb)

    # a click on a point, sent through plotly's event and the web channel, selects that image
    with qtbot.waitSignal(window.session.selection_changed, timeout=LONG) as blocker:
        js(
            qtbot,
            window,
            "document.getElementById('map').emit('plotly_click', {points: [{customdata: [5, '']}]}); 1",
        )
    assert blocker.args[0] == [5]
    gallery_rows = [window.gallery.proxy.mapToSource(i).row() for i in window.gallery.list.selectedIndexes()]
    assert gallery_rows == [5]
    assert emb.paths[5] in window.neighbours.title.text()

    # a lasso sends its points to the gallery
    with qtbot.waitSignal(window.session.subset_changed, timeout=LONG):
        js(
            qtbot,
            window,
            "document.getElementById('map').emit('plotly_selected', "
            "{points: [{customdata: [2, '']}, {customdata: [3, '']}, {customdata: [11, '']}]}); 1",
        )
    assert window.gallery.proxy.rowCount() == 3
    assert "3 images from the map" in window.gallery.subset_label.text()

    # hovering a real point asks for its thumbnail and shows it as an image in the page
    with qtbot.waitSignal(window.map.bridge.thumbnailReady, timeout=LONG) as hover:
        js(qtbot, window, HOVER_POINT)
    assert hover.args[1].startswith("data:image/png;base64,")
    qtbot.waitUntil(
        lambda: js(qtbot, window, "document.getElementById('lookalike-thumb').style.display") == "block"
    )

    # hostile names are shown as text and never run
    legend = js(
        qtbot,
        window,
        "Array.from(document.querySelectorAll('.legendtext')).map(e => e.textContent).join('|')",
    ).split("|")
    assert HOSTILE_CLASS in legend
    assert js(qtbot, window, "typeof window.__pwned") == "undefined"
    assert js(qtbot, window, "document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert window.map.page.console_errors == []

    # the channel offers the page only the map's calls (plus QObject built-ins it cannot misuse)
    js(qtbot, window, LIST_CHANNEL)
    qtbot.waitUntil(lambda: js(qtbot, window, "typeof window.__members") == "string")
    members = set(js(qtbot, window, "window.__members").split(","))
    assert js(qtbot, window, "window.__objects") == "bridge"
    page_calls = {
        "pointClicked",
        "pointsSelected",
        "requestThumbnail",
        "viewChanged",
        "pageReady",
        "thumbnailReady",
        "atlasReady",
    }
    qobject_builtins = {
        "deleteLater",
        "destroyed",
        "objectNameChanged",
        "unwrapQObject",
        "unwrapProperties",
        "propertyUpdate",
        "signalEmitted",
    }
    assert page_calls <= members
    assert members - page_calls <= qobject_builtins, members - page_calls
    # the page cannot delete the bridge: a click still reaches the app afterwards
    with qtbot.waitSignal(window.session.selection_changed, timeout=LONG) as blocker:
        js(
            qtbot,
            window,
            "document.getElementById('map').emit('plotly_click', {points: [{customdata: [3, '']}]}); 1",
        )
    assert blocker.args[0] == [3]
