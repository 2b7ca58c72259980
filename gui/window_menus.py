"""The main window's menu bar: File, Work and View, with their shortcuts (Image and Export come
from the views that own them)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from lookalike.gui.main_window import MainWindow


def build_menus(w: MainWindow) -> None:
    """File (open, recent, models, export, quit), Work (stop, map, teach, marks), View (tabs)."""
    file_menu = w.menuBar().addMenu("&File")
    add_action(w, file_menu, "Open &folder…", QKeySequence.StandardKey.Open, w.choose_folder)
    add_action(w, file_menu, "Open &index…", QKeySequence("Ctrl+Alt+O"), w.choose_index)
    add_action(w, file_menu, "Open &model…", QKeySequence("Ctrl+Shift+O"), w.choose_model)
    add_action(w, file_menu, "Find &similar…", QKeySequence("Ctrl+F"), w.choose_similar)
    w.recent_menu = file_menu.addMenu("Recent folders")
    add_action(w, file_menu, "&Previous model", QKeySequence("Ctrl+Shift+P"), w.teaching.previous_model)
    w.models_menu = file_menu.addMenu("Recent models")
    w.build_image_tools(file_menu.addMenu("&Export"))
    file_menu.addSeparator()
    add_action(w, file_menu, "&Quit", QKeySequence.StandardKey.Quit, w.close)
    work = w.menuBar().addMenu("&Work")
    add_action(w, work, "&Stop", QKeySequence(Qt.Key.Key_Escape), w.controller.stop)
    add_action(w, work, "Compute &map", QKeySequence("Ctrl+M"), w.show_map)
    work.addSeparator()
    add_action(w, work, "&Teach the model on this folder…", QKeySequence("Ctrl+T"), w.teaching.teach)
    add_action(w, work, "Marked &pairs…", QKeySequence("Ctrl+Alt+M"), w.teaching.show_marks)
    add_action(w, work, "&Undo last mark", QKeySequence.StandardKey.Undo, w.marks.undo)
    view = w.menuBar().addMenu("&View")
    for i in range(w.tabs.count()):
        add_action(
            w,
            view,
            w.tabs.tabText(i),
            QKeySequence(f"Ctrl+{i + 1}"),
            partial(w.tabs.setCurrentIndex, i),
        )
    w.fill_recent()
    w.teaching.fill_models()


def add_action(
    w: MainWindow,
    menu: QMenu,
    text: str,
    key: QKeySequence | QKeySequence.StandardKey,
    slot: Callable[[], object],
) -> QAction:
    """One menu entry with its shortcut, owned by the window."""
    action = QAction(text, w)
    action.setShortcut(key)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action
