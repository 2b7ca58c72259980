"""What the app remembers between runs (QSettings): recent folders, last model, thresholds, layout."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 8


class AppSettings:
    """Typed access to the few settings keys the app uses."""

    def __init__(self, settings: QSettings) -> None:
        self.qs = settings

    def recent_folders(self) -> list[str]:
        """Most recent first."""
        value = self.qs.value("recent_folders", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def add_recent_folder(self, folder: str) -> None:
        """Move `folder` to the front of the recent list."""
        items = [folder] + [f for f in self.recent_folders() if f != folder]
        self.qs.setValue("recent_folders", items[:MAX_RECENT])

    def threshold(self, model_sha: str) -> float | None:
        """The last threshold used with this model (thresholds are model-specific)."""
        value = self.qs.value(f"threshold/{model_sha[:16]}")
        try:
            return None if value is None else float(str(value))
        except (TypeError, ValueError):
            return None

    def set_threshold(self, model_sha: str, value: float) -> None:
        """Remember the threshold for this model."""
        self.qs.setValue(f"threshold/{model_sha[:16]}", float(value))

    def layout(self) -> tuple[QByteArray | None, QByteArray | None]:
        """Saved window geometry and state."""
        geo, state = self.qs.value("window/geometry"), self.qs.value("window/state")
        return (
            geo if isinstance(geo, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
        )

    def set_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        """Save window geometry and state."""
        self.qs.setValue("window/geometry", geometry)
        self.qs.setValue("window/state", state)

    def sync(self) -> None:
        """Write to disk now."""
        self.qs.sync()
