"""Real drag-and-drop events (QMimeData with file URLs) delivered to a widget."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget


def file_mime(paths: list[Path]) -> QMimeData:
    """What a file manager puts on the clipboard when files are dragged."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drop_files(widget: QWidget, paths: list[Path]) -> bool:
    """Send drag-enter then drop; returns whether the widget accepted the drag."""
    mime = file_mime(paths)
    pos = widget.rect().center()
    enter = QDragEnterEvent(
        pos,  # QDragEnterEvent takes a QPoint (QDropEvent a QPointF)
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(
        QPointF(pos),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, drop)
    return True
