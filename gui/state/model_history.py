"""Recent models and the previous one, so switching to a taught model is one click to undo."""

from __future__ import annotations

from pathlib import Path

from lookalike.engine.model.embedder import Embedder
from lookalike.gui.state.app_settings import path_text
from lookalike.gui.state.session import Session
from PySide6.QtCore import QObject, QSettings, Signal

MAX_MODELS = 8


class ModelHistory(QObject):
    """Remembers the models used (most recent first) in the app's settings."""

    changed = Signal()

    def __init__(self, session: Session, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.qs = settings
        session.model_changed.connect(self._model_changed)

    def recent(self) -> list[str]:
        """Model files, most recent first (the current one included)."""
        value = self.qs.value("recent_models", [])
        items = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
        paths = dict.fromkeys(p for p in map(path_text, items[: 4 * MAX_MODELS]) if p is not None)
        return [p for p in paths if Path(p).is_file()][:MAX_MODELS]  # a hand-edited list: once each

    def previous(self) -> str | None:
        """The model in use before the current one."""
        items = self.recent()
        return items[1] if len(items) > 1 else None

    def _model_changed(self, embedder: Embedder) -> None:
        path = str(embedder.path.resolve())
        items = [path] + [p for p in self.recent() if p != path]
        self.qs.setValue("recent_models", items[:MAX_MODELS])
        self.changed.emit()
