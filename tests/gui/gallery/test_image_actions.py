"""Use: per-image actions from context menus and shortcuts in the gallery, neighbours and duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from lookalike.engine.model.bundled import default_model_path
from lookalike.gui.main_window import MainWindow
from PySide6.QtCore import QModelIndex, QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QAction, QContextMenuEvent, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QApplication
from pytestqt.qtbot import QtBot

from tests.duplicate_samples import EXACT, samples_with_duplicates
from tests.gui.conftest import LONG, MakeWindow, embeddings_of, open_folder, select_and_wait
from tests.gui.duplicates.table_rows import PATH, cell, file_rows, group_rows


class UrlCatcher(QObject):
    """Receives the URLs the app asks the desktop to open (Qt's own URL-handler hook)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.urls.append(url.toLocalFile())


@pytest.fixture
def catcher() -> Iterator[UrlCatcher]:
    c = UrlCatcher()
    slot = cast(bytes, "handle")  # the stubs say bytes, but PySide6 accepts only str here
    QDesktopServices.setUrlHandler("file", c, slot)
    yield c
    QDesktopServices.unsetUrlHandler("file")


@pytest.fixture
def window(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    w = make_window(model=default_model_path())
    w.session.set_threshold(0.1)
    open_folder(qtbot, w, samples_with_duplicates(tmp_path / "photos"))
    qtbot.waitUntil(lambda: w.gallery.model.complete, timeout=LONG)
    return w


def _right_click(view: QAbstractItemView, index: QModelIndex) -> None:
    view.scrollTo(index)
    pos = view.visualRect(index).center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)


def _menu_action(window: MainWindow, text: str) -> QAction:
    menu = window.image_actions.last_menu
    assert menu is not None
    return next(a for a in menu.actions() if a.text().startswith(text))


def _gallery_index(window: MainWindow, row: int) -> QModelIndex:
    return window.gallery.proxy.mapFromSource(window.gallery.model.index(row))


def test_gallery_context_menu_copies_opens_reveals_and_finds_similar(
    qtbot: QtBot, window: MainWindow, catcher: UrlCatcher
) -> None:
    emb = embeddings_of(window)
    row = emb.paths.index(EXACT[0])
    _right_click(window.gallery.list, _gallery_index(window, row))
    menu = window.image_actions.last_menu
    assert menu is not None
    texts = [a.text() for a in menu.actions()]
    assert texts == [
        "Copy path",
        "Reveal in file manager",
        "Open in default viewer",
        "Find similar",
        "Compare with…",
    ]
    path = str(emb.abs_path(row))
    _menu_action(window, "Copy path").trigger()
    assert QGuiApplication.clipboard().text() == path
    _menu_action(window, "Open in default viewer").trigger()
    _menu_action(window, "Reveal in file manager").trigger()
    assert catcher.urls == [path, str(Path(path).parent)]
    with qtbot.waitSignal(window.neighbours.shown, timeout=LONG):
        _menu_action(window, "Find similar").trigger()
    assert window.session.selection == [row]
    assert window.tabs.currentWidget() is window.neighbours
    assert window.neighbours.neighbours[0].row == emb.paths.index(EXACT[1])  # its exact copy comes first


def test_compare_with_from_neighbours_then_gallery(qtbot: QtBot, window: MainWindow) -> None:
    emb = embeddings_of(window)
    select_and_wait(qtbot, window, [0])
    neighbours = window.neighbours.list
    _right_click(neighbours, neighbours.model().index(0, 0))
    first = str(emb.abs_path(window.neighbours.neighbours[0].row))
    _menu_action(window, "Compare with…").trigger()
    assert window.image_actions.compare_first == first
    _right_click(window.gallery.list, _gallery_index(window, 0))
    assert _menu_action(window, "Compare with").text() == f"Compare with {Path(first).name}"
    with qtbot.waitSignal(window.compare.compared, timeout=LONG):
        _menu_action(window, "Compare with").trigger()
    qtbot.waitUntil(lambda: None not in window.compare.loaded.values(), timeout=LONG)
    a, b = window.compare.loaded["a"], window.compare.loaded["b"]
    assert a is not None
    assert b is not None
    assert str(a.path) == first
    assert b.path == emb.abs_path(0)
    assert window.tabs.currentWidget() is window.compare
    assert window.compare.distance == pytest.approx(window.neighbours.neighbours[0].distance, abs=1e-4)


def test_shortcuts_act_on_the_focused_view_or_the_app_selection(qtbot: QtBot, window: MainWindow) -> None:
    emb = embeddings_of(window)
    window.activateWindow()
    window.gallery.list.setFocus()
    qtbot.waitUntil(window.gallery.list.hasFocus, timeout=LONG)
    window.session.select([3])
    qtbot.keyClick(
        window.gallery.list,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert QGuiApplication.clipboard().text() == str(emb.abs_path(3))
    # A map click selects in the app; with no image view focused the shortcut uses that selection.
    window.threshold_bar.setFocus()
    window.session.select([7])
    assert window.image_actions.targets() == [str(emb.abs_path(7))]
    window.image_actions.window_actions["copy"].trigger()
    assert QGuiApplication.clipboard().text() == str(emb.abs_path(7))
    # The map's own context menu offers the same actions for the app's selection.
    window.session.select([9, 4])
    window.map.web.customContextMenuRequested.emit(QPoint(20, 20))
    _menu_action(window, "Copy path").trigger()
    assert QGuiApplication.clipboard().text() == f"{emb.abs_path(9)}\n{emb.abs_path(4)}"


def test_duplicates_rows_have_the_actions(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.duplicates.listed, timeout=LONG):
        window.tabs.setCurrentWidget(window.duplicates)
    view = window.duplicates
    top = group_rows(view)[0]
    child = file_rows(view, top)[0]
    _right_click(view.table, view.rows.index(child, 0))
    _menu_action(window, "Copy path").trigger()
    assert window.session.folder is not None
    assert QGuiApplication.clipboard().text() == str(window.session.folder / cell(view, child, PATH))
    _right_click(view.table, view.rows.index(top, 0))
    assert not _menu_action(window, "Copy path").isEnabled()  # a group row is not an image
