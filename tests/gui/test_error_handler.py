"""Every unexpected error reaches the user: one handler logs it and shows it in a dialog (issue 19/14)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from lookalike.gui.error_handler import TITLE, install_error_handler, log_path
from lookalike.gui.main_window import MainWindow
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from tests.gui.conftest import MakeWindow


def _shown_boxes(window: MainWindow) -> list[str]:
    return [box.text() for box in window.findChildren(QMessageBox) if box.isVisible()]


def _raise_in_slot() -> None:
    raise KeyError("no such key in a slot")


@pytest.mark.qt_no_exception_capture  # the app's own handler is under test, not pytest-qt's
def test_an_error_in_a_slot_or_a_thread_is_shown_and_logged(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    handler = install_error_handler(window.show_error, window)
    try:
        button = QPushButton("boom", window)
        button.clicked.connect(_raise_in_slot)
        button.show()
        with qtbot.waitSignal(window.error_shown, timeout=5000) as shown:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert shown.args[0] == TITLE
        assert shown.args[1].startswith("KeyError: 'no such key in a slot'")
        assert any("no such key in a slot" in text for text in _shown_boxes(window))

        def job() -> None:
            raise RuntimeError("raised in a plain thread")

        with qtbot.waitSignal(window.error_shown, timeout=5000) as shown:
            thread = threading.Thread(target=job, name="helper")
            thread.start()
            thread.join()
        assert shown.args[1].startswith("RuntimeError: raised in a plain thread")
    finally:
        handler.uninstall()
    log = Path(log_path()).read_text(encoding="utf-8")
    assert "Traceback" in log
    assert "no such key in a slot" in log
    assert "unexpected error in thread helper" in log
