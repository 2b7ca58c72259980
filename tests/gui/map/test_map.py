"""Use 3: the t-SNE map in QWebEngineView; clicks, lassos and hover go through the page's JS and channel."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
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


@pytest.fixture
def mapped(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, cards_folder: Path
) -> tuple[MainWindow, Any]:
    """The window on the carried cards plus a class and a file with hostile names, map shown."""
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
    return window, emb


def _click(qtbot: QtBot, window: MainWindow, row: int) -> list[int]:
    """A click on a point, sent through plotly's event and the web channel; the new selection."""
    event = f"{{points: [{{customdata: [{row}, '']}}]}}"
    with qtbot.waitSignal(window.session.selection_changed, timeout=LONG) as blocker:
        js(qtbot, window, f"document.getElementById('map').emit('plotly_click', {event}); 1")
    return list(blocker.args[0])


def test_a_click_on_a_point_selects_that_image(qtbot: QtBot, mapped: tuple[MainWindow, Any]) -> None:
    window, emb = mapped
    assert _click(qtbot, window, 5) == [5]
    gallery_rows = [window.gallery.proxy.mapToSource(i).row() for i in window.gallery.list.selectedIndexes()]
    assert gallery_rows == [5]
    assert emb.paths[5] in window.neighbours.title.text()


def test_a_lasso_sends_its_points_to_the_gallery(qtbot: QtBot, mapped: tuple[MainWindow, Any]) -> None:
    window, _ = mapped
    with qtbot.waitSignal(window.session.subset_changed, timeout=LONG):
        js(
            qtbot,
            window,
            "document.getElementById('map').emit('plotly_selected', "
            "{points: [{customdata: [2, '']}, {customdata: [3, '']}, {customdata: [11, '']}]}); 1",
        )
    assert window.gallery.proxy.rowCount() == 3
    assert "3 images from the map" in window.gallery.subset_label.text()


def test_hovering_a_point_shows_its_thumbnail(qtbot: QtBot, mapped: tuple[MainWindow, Any]) -> None:
    window, _ = mapped
    with qtbot.waitSignal(window.map.bridge.thumbnailReady, timeout=LONG) as hover:
        js(qtbot, window, HOVER_POINT)
    assert hover.args[1].startswith("data:image/png;base64,")
    qtbot.waitUntil(
        lambda: js(qtbot, window, "document.getElementById('lookalike-thumb').style.display") == "block"
    )


def test_hostile_names_are_shown_as_text_and_never_run(qtbot: QtBot, mapped: tuple[MainWindow, Any]) -> None:
    window, _ = mapped
    legend = js(
        qtbot,
        window,
        "Array.from(document.querySelectorAll('.legendtext')).map(e => e.textContent).join('|')",
    ).split("|")
    assert HOSTILE_CLASS in legend
    assert js(qtbot, window, "typeof window.__pwned") == "undefined"
    assert js(qtbot, window, "document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert window.map.page.console_errors == []


PAGE_CALLS = {
    "pointClicked",
    "pointsSelected",
    "requestThumbnail",
    "viewChanged",
    "pageReady",
    "thumbnailReady",
    "atlasReady",
}
QOBJECT_BUILTINS = {
    "deleteLater",
    "destroyed",
    "objectNameChanged",
    "unwrapQObject",
    "unwrapProperties",
    "propertyUpdate",
    "signalEmitted",
}


def test_the_channel_offers_the_page_only_the_maps_calls(
    qtbot: QtBot, mapped: tuple[MainWindow, Any]
) -> None:
    """Plus QObject built-ins it cannot misuse: the page cannot delete the bridge."""
    window, _ = mapped
    js(qtbot, window, LIST_CHANNEL)
    qtbot.waitUntil(lambda: js(qtbot, window, "typeof window.__members") == "string")
    members = set(js(qtbot, window, "window.__members").split(","))
    assert js(qtbot, window, "window.__objects") == "bridge"
    assert members >= PAGE_CALLS
    assert members - PAGE_CALLS <= QOBJECT_BUILTINS, members - PAGE_CALLS
    assert _click(qtbot, window, 3) == [3]  # after the page's deleteLater, a click still reaches the app
