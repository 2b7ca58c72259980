"""The threshold slider stays under the pointer while dragged: nothing in its row changes width."""

from __future__ import annotations

from pathlib import Path

from lookalike.gui.main_window import MainWindow
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider
from pytestqt.qtbot import QtBot

from tests.gui.conftest import MakeWindow, open_folder

STEP = 20


def handle_centre(slider: QSlider) -> QPoint:
    """Where the style draws the slider's handle, in the slider's coordinates."""
    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    rect = slider.style().subControlRect(
        QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, slider
    )
    return rect.center()


def geometries(window: MainWindow) -> list[tuple[int, int]]:
    """x and width of every widget in the threshold row and of the Threshold tab's ROC."""
    bar = window.threshold_bar
    widgets = [bar, bar.slider, bar.spin, bar.far, bar.summary, bar.source, window.threshold_view.roc]
    return [(window.width(), 0)] + [(w.mapTo(window, QPoint(0, 0)).x(), w.width()) for w in widgets]


def test_dragging_the_handle_keeps_it_under_the_pointer(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path
) -> None:
    window = make_window()
    window.resize(900, 700)
    window.tabs.setCurrentWidget(window.threshold_view)
    open_folder(qtbot, window, cards_folder)
    slider = window.threshold_bar.slider
    slider.setValue(slider.distance_to_value(0.05))  # few matching pairs: the shortest summary
    qtbot.wait(5)
    before = geometries(window)
    texts = set()
    start = handle_centre(slider)
    QTest.mousePress(slider, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    pointer = start
    for _ in range((slider.width() - start.x()) // STEP - 2):
        pointer = pointer + QPoint(STEP, 0)
        QTest.mouseMove(slider, pointer)
        qtbot.wait(5)  # let the layout react to the new label texts, as it would on screen
        texts.add(window.threshold_bar.summary.text())
        assert abs(handle_centre(slider).x() - pointer.x()) <= 2, "the handle left the pointer"
        assert geometries(window) == before, "a widget in the threshold row moved or resized"
    QTest.mouseRelease(slider, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pointer)
    assert len(texts) > 3  # the drag really went through thresholds with different summaries
    assert window.session.threshold > 0.5
