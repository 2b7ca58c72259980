"""Start the desktop app: environment, QApplication, main window, then the folder and model."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lookalike.gui.heap import freeze_long_lived
from lookalike.gui.map.web_engine_env import configure_web_engine_env

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication  # imported for real only after the environment is set

# How long a thread running Python keeps the GIL while another waits for it (Python's default is
# 5 ms). Every call from Qt into Python on the UI thread (a slot, a model's data(), a paint) takes
# the GIL; while a worker runs Python each take waited up to 5 ms, and a turn that calls into
# Python a few times stalled the window: opening 100,000 images, worst stall 37-75 ms (mean 57)
# at 5 ms, 25-40 ms (mean 33) at 1 ms, five alternating runs each (bench/app/big_window.py).
UI_SWITCH_INTERVAL_S = 0.001


def create_application() -> QApplication:
    """The QApplication (created once), with the flags and attributes QtWebEngine needs."""
    configure_web_engine_env()
    import PySide6.QtWebEngineWidgets  # noqa: F401  (must be loaded before the QApplication)
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName("Lookalike")
    app.setApplicationName("Lookalike")
    app.setStyle("Fusion")  # Fusion follows the system's light or dark colour scheme
    sys.setswitchinterval(UI_SWITCH_INTERVAL_S)  # the UI thread waits less for the GIL
    return app


def freeze_startup_heap() -> None:
    """Import what the engine imports lazily (engine.lazy_modules: in a worker, while a folder
    opens, those imports froze the window), then exempt the objects of startup (Qt, QtWebEngine,
    numpy, FAISS, the window) from garbage collection.

    They live as long as the app, yet every full collection walks them all: ~120 ms with the GIL
    held, a visible freeze whenever a worker's allocations trigger one (measured while embedding).
    """
    from lookalike.engine.lazy_modules import import_ahead

    import_ahead()
    gc.collect()
    freeze_long_lived()


def run_app(folder: Path | None, model: Path | None) -> int:
    """Open the main window on `folder` and `model` (default: the last ones, else the bundled ones)."""
    app = create_application()
    from lookalike.gui.error_handler import install_error_handler
    from lookalike.gui.main_window import MainWindow
    from lookalike.gui.state.remembered_state import start_window
    from PySide6.QtCore import QSettings

    window = MainWindow(QSettings())
    window.show()
    install_error_handler(window.show_error, window)  # nothing unexpected goes unseen
    freeze_startup_heap()
    start_window(window, folder, model)  # else the last model and folder, else the bundled ones
    return int(app.exec())
