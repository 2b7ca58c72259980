"""What the window remembers between runs: last model and folder, k, open tab, splitter, filters.

Saved when the window closes, restored when it is built (the gallery filters once the remembered
folder's rows are in). `start_window` reopens the last model and folder unless the folder is gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.model.bundled import default_model_path, sample_folder
from lookalike.engine.model.embedder import Embedder
from lookalike.gui.state.app_settings import MAX_PATH_CHARS, number_in, path_text
from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QSplitter

if TYPE_CHECKING:
    from lookalike.gui.main_window import MainWindow

KEYS = ("model", "folder", "k", "tab", "splitter", "class_filter", "name_filter")
MAX_PANES = 8


class RememberedState(QObject):
    """Reads and writes the `state/…` keys for one main window."""

    def __init__(self, window: MainWindow, settings: QSettings) -> None:
        super().__init__(window)
        self.window, self.qs = window, settings
        self._pending_class = self._str("class_filter")
        window.session.model_changed.connect(self._model_changed)
        window.session.folder_changed.connect(self._folder_changed)
        self._restore_widgets()

    def _get(self, key: str) -> object:
        return self.qs.value(f"state/{key}")

    def _shares_saved(self) -> list[float]:
        """The splitter's remembered shares of the width: each a finite fraction, or none at all."""
        value = self._get("splitter")
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        shares = [number_in(x, 0.0, 1.0) for x in items[:MAX_PANES]]
        if not shares or None in shares or not 0.5 <= sum(s or 0.0 for s in shares) <= 1.5:
            return []
        return [s or 0.0 for s in shares]

    def _int(self, key: str, low: int, high: int) -> int | None:
        number = number_in(self._get(key), low, high)
        return None if number is None or number != int(number) else int(number)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Give the splitter its remembered shares whenever it is resized (until the user drags it)."""
        if event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self, self._apply_shares)  # after the splitter has laid out its size
        return False

    def _apply_shares(self) -> None:
        central = self.window.centralWidget()
        total = sum(central.sizes()) if isinstance(central, QSplitter) else 0
        if isinstance(central, QSplitter) and len(self._shares) == central.count() and total > 0:
            central.setSizes([round(share * total) for share in self._shares])

    def _str(self, key: str) -> str:
        value = self._get(key)
        return value if isinstance(value, str) and len(value) <= MAX_PATH_CHARS else ""

    def _set(self, key: str, value: object) -> None:
        self.qs.setValue(f"state/{key}", value)

    @property
    def model(self) -> Path | None:
        """The last model used, if its file is still there."""
        text = path_text(self._str("model"))
        path = Path(text) if text else None
        return path if path is not None and path.is_file() else None

    @property
    def folder(self) -> Path | None:
        """The last folder opened, if it still exists."""
        text = path_text(self._str("folder"))
        path = Path(text) if text else None
        return path if path is not None and path.is_dir() else None

    def _restore_widgets(self) -> None:
        w = self.window
        k = self._int("k", w.neighbours.k.minimum(), w.neighbours.k.maximum())
        if k is not None:
            w.neighbours.k.setValue(k)
        tab = self._int("tab", 0, w.tabs.count() - 1)
        if tab is not None:
            w.tabs.setCurrentIndex(tab)
        self._shares = self._shares_saved()
        central = w.centralWidget()
        if self._shares and isinstance(central, QSplitter):
            # Shares of the width, kept through the resizes of start-up until the user drags.
            central.installEventFilter(self)
            central.splitterMoved.connect(lambda _pos, _i: central.removeEventFilter(self))
        w.gallery.name_filter.setText(self._str("name_filter"))

    def save(self) -> None:
        """Write the window's state (called when it closes)."""
        w = self.window
        self._set("k", w.neighbours.k.value())
        self._set("tab", w.tabs.currentIndex())
        central = w.centralWidget()
        if isinstance(central, QSplitter) and sum(central.sizes()) > 0:
            self._set("splitter", [size / sum(central.sizes()) for size in central.sizes()])
        self._set("name_filter", w.gallery.name_filter.text())
        classes = w.gallery.classes
        self._set("class_filter", classes.currentText() if classes.currentIndex() > 0 else "")
        if w.session.folder is not None:
            self._set("folder", str(w.session.folder))

    def _model_changed(self, embedder: Embedder) -> None:
        self._set("model", str(embedder.path.resolve()))

    def _folder_changed(self, emb: FolderEmbeddings | None) -> None:
        """Remember the folder; pick the remembered class once the folder's classes are listed."""
        if emb is not None:
            self._set("folder", str(emb.folder))
        if emb is None or not self._pending_class:
            return
        classes = self.window.gallery.classes
        index = classes.findText(self._pending_class)
        self._pending_class = ""
        if index > 0:
            classes.setCurrentIndex(index)


def start_window(window: MainWindow, folder: Path | None, model: Path | None) -> None:
    """Open the given model and folder, else the remembered ones, else the bundled ones."""
    state = window.remembered
    window.open_model(model or state.model or default_model_path())
    start = folder if folder is not None else (state.folder or sample_folder())
    if start.is_dir():
        window.open_folder(start)
    else:
        window.show_error("No folder", f"{start} does not exist; use File → Open folder.")
