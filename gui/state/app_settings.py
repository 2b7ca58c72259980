"""What the app remembers between runs (QSettings): recent folders, last model, thresholds, layout.

The settings file is untrusted input (edited by hand, copied from another machine, damaged): every
value is checked when read, a bad one is ignored (the default is used) and never written back.
"""

from __future__ import annotations

import math

from lookalike.engine.model.manifest import MAX_DISTANCE
from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 8
MAX_PATH_CHARS = 4096


def number_in(value: object, low: float, high: float) -> float | None:
    """A remembered number when it is one, finite and in [low, high]; else None (use the default)."""
    try:
        number = float(str(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def path_text(value: object) -> str | None:
    """A remembered path when it is a plausible one (text, no NUL, not absurdly long)."""
    if not isinstance(value, str) or not value or "\0" in value or len(value) > MAX_PATH_CHARS:
        return None
    return value


class AppSettings:
    """Typed access to the few settings keys the app uses."""

    def __init__(self, settings: QSettings) -> None:
        self.qs = settings

    def recent_folders(self) -> list[str]:
        """Most recent first."""
        value = self.qs.value("recent_folders", [])
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [p for p in map(path_text, items) if p is not None][:MAX_RECENT]

    def add_recent_folder(self, folder: str) -> None:
        """Move `folder` to the front of the recent list."""
        items = [folder] + [f for f in self.recent_folders() if f != folder]
        self.qs.setValue("recent_folders", items[:MAX_RECENT])

    def threshold(self, model_sha: str) -> float | None:
        """The last threshold used with this model (thresholds are model-specific)."""
        value = self.qs.value(f"threshold/{model_sha[:16]}")
        return None if value is None else number_in(value, 0.0, MAX_DISTANCE)

    def set_threshold(self, model_sha: str, value: float) -> None:
        """Remember the threshold for this model (a value that is not a distance is never saved)."""
        if number_in(value, 0.0, MAX_DISTANCE) is not None:
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
