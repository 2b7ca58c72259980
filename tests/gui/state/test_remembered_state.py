"""Remembered state: a new window reopens the last model and folder (unless the folder is gone), with
the same k, tab, splitter sizes and gallery filters. Settings live in a file under tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

from lookalike.engine.model.bundled import sample_folder
from lookalike.gui.main_window import MainWindow
from lookalike.gui.state.remembered_state import start_window
from PySide6.QtCore import QSettings, QThreadPool
from PySide6.QtWidgets import QSplitter
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG
from tests.gui.samples import copy_samples


def started(qtbot: QtBot, ini: Path, model: Path | None = None) -> MainWindow:
    """A window started as `lookalike gui` starts it, waiting for its folder's pair statistics."""
    window = MainWindow(QSettings(str(ini), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(
        window.session.pairs_changed, timeout=LONG, check_params_cb=lambda p: p is not None
    ):
        start_window(window, None, model)
    return window


def splitter(window: MainWindow) -> QSplitter:
    central = window.centralWidget()
    assert isinstance(central, QSplitter)
    return central


def model_of(window: MainWindow) -> Path:
    assert window.session.embedder is not None
    return window.session.embedder.path.resolve()


def folder_of(window: MainWindow) -> Path:
    assert window.session.folder is not None
    return window.session.folder.resolve()


def close(window: MainWindow) -> None:
    window.close()
    assert window.pool.idle


def test_last_model_folder_and_view_state_come_back(
    qtbot: QtBot, tmp_path: Path, projection_model_path: Path
) -> None:
    ini = tmp_path / "settings.ini"
    folder = copy_samples(tmp_path / "samples")
    first = MainWindow(QSettings(str(ini), QSettings.Format.IniFormat))
    qtbot.addWidget(first)
    first.show()
    with qtbot.waitSignal(first.session.pairs_changed, timeout=LONG, check_params_cb=lambda p: p is not None):
        start_window(first, folder, projection_model_path)
    first.neighbours.k.setValue(5)
    first.tabs.setCurrentWidget(first.compare)
    splitter(first).setSizes([450, 826])
    sizes = splitter(first).sizes()
    first.gallery.classes.setCurrentText("flag_jm")
    first.gallery.name_filter.setText("iso_")
    close(first)

    second = started(qtbot, ini)  # no folder, no model given: the remembered ones
    assert model_of(second) == projection_model_path.resolve()
    assert folder_of(second) == folder.resolve()
    assert second.neighbours.k.value() == 5
    assert second.tabs.currentWidget() is second.compare
    second.resize(first.size())  # the offscreen screen (800x600) clamps a restored window
    qtbot.waitUntil(lambda: splitter(second).sizes() == sizes)  # the same split of the width
    assert second.gallery.classes.currentText() == "flag_jm"
    assert second.gallery.name_filter.text() == "iso_"
    shown = {second.gallery.proxy.index(i, 0).data() for i in range(second.gallery.proxy.rowCount())}
    assert shown == {"iso_png320.png\nflag_jm", "iso_svg_square.png\nflag_jm"}  # names shared by classes
    close(second)

    shutil.rmtree(folder)  # the folder is gone: the bundled samples open instead, no error
    third = started(qtbot, ini)
    assert folder_of(third) == sample_folder().resolve()
    assert third.last_error is None
    assert model_of(third) == projection_model_path.resolve()
    close(third)
    assert QThreadPool.globalInstance().activeThreadCount() == 0
