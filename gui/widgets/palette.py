"""The few colours that carry meaning (match / no match / other class), readable on light and dark."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QPalette

MATCH = "#2e9d4f"
NO_MATCH = "#d64545"
OTHER_CLASS = "#e08a00"
GENUINE = "#2e9d4f"
IMPOSTOR = "#d64545"


def is_dark() -> bool:
    """True when the system palette is dark (text lighter than the window)."""
    pal = QGuiApplication.palette()
    return (
        pal.color(QPalette.ColorRole.WindowText).lightness()
        > pal.color(QPalette.ColorRole.Window).lightness()
    )
