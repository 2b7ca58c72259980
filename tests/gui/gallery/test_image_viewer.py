"""Large image windows: each one loads its own image, however many are open."""

from __future__ import annotations

from pathlib import Path

from lookalike.gui.gallery.image_viewer import ImageViewer
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG, MakeWindow


def test_a_second_viewer_does_not_cancel_the_first(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path
) -> None:
    window = make_window()
    first, second = sorted(cards_folder.rglob("*.jpg"))[:2]
    window.open_image(str(first))
    window.open_image(str(second))
    viewers = window.findChildren(ImageViewer)
    assert len(viewers) == 2
    qtbot.waitUntil(lambda: all(v.pixmap is not None for v in viewers), timeout=LONG)
    assert {v.windowTitle() for v in viewers} == {first.name, second.name}
    for viewer in viewers:
        assert not viewer.label.pixmap().isNull()
        viewer.close()
