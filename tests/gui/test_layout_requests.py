"""Text that changes many times a second (the progress line, the gallery's count) repaints its own
widget only: a label that may grow asks the whole main window to lay itself out again, which cost
~20-30 ms a time with a 100,000-image folder open (bench/app/big_window.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lookalike.gui.main_window import MainWindow
from PySide6.QtCore import QEvent, QObject
from pytestqt.qtbot import QtBot

from tests.gui.conftest import MakeWindow, open_folder


class LayoutRequests(QObject):
    """Counts the layout requests a widget receives."""

    def __init__(self, watched: QObject) -> None:
        super().__init__()
        self.count = 0
        watched.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


@pytest.fixture
def window(qtbot: QtBot, make_window: MakeWindow, cards_folder: Path) -> MainWindow:
    """A window with a folder open, its opening's jobs settled."""
    window = make_window()
    open_folder(qtbot, window, cards_folder)
    qtbot.wait(200)
    return window


def test_progress_updates_do_not_relayout_the_window(qtbot: QtBot, window: MainWindow) -> None:
    status = window.status
    requests = LayoutRequests(window)
    status.set_busy(False)  # as when the open's last job ends: the bar and Stop hide
    qtbot.wait(50)
    for done in (2, 30, 400, 5_000, 60_000, 99_999):
        status.show_progress("embed", done, 100_000, 1000.0 / done)
        qtbot.wait(5)
    qtbot.wait(50)
    assert "99,999 / 100,000" in status.phase.text()
    assert requests.count == 0
    status.set_busy(False)
    status.set_busy(True)
    qtbot.wait(50)
    assert requests.count == 0  # they came and went inside their own box


def test_the_gallery_count_does_not_relayout_the_window(qtbot: QtBot, window: MainWindow) -> None:
    gallery = window.gallery
    requests = LayoutRequests(window)
    gallery.classes.setCurrentIndex(1)  # one class of several
    qtbot.wait(50)
    shown, total = (int(n.replace(",", "")) for n in gallery.count.text().split(" / "))
    assert 0 < shown < total
    gallery.classes.setCurrentIndex(0)
    qtbot.wait(50)
    assert gallery.count.text() == f"{total:,} / {total:,}"
    assert requests.count == 0
