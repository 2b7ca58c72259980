"""A window showing one image large (double-click in the gallery or neighbours)."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

from lookalike.gui.controller import Controller
from lookalike.gui.gallery.thumbnail_loader import load_qimage
from lookalike.gui.widgets.workers import ProgressFn
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

LARGE = 1600
_viewer_numbers = itertools.count(1)


class ImageViewer(QDialog):
    """Decodes in the background, then shows the image scaled to the window."""

    def __init__(self, path: str, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(Path(path).name)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(720, 720)
        self.label = QLabel("Loading…")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setMinimumSize(64, 64)
        self.caption = QLabel(path)
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.caption)
        self.pixmap: QPixmap | None = None

        def job(progress: ProgressFn, cancel: threading.Event) -> QImage:
            return load_qimage(path, LARGE)

        # A phase of its own: a job replaces only its own phase's job, and other viewers may be open.
        self.phase = f"viewer-{next(_viewer_numbers)}"
        self.controller = controller
        controller.run(
            self.phase, job, self._loaded, lambda exc: self.label.setText(f"Cannot show this image: {exc}")
        )

    def _loaded(self, image: QImage) -> None:
        self.pixmap = QPixmap.fromImage(image)
        self.caption.setText(f"{self.caption.text()}  ({image.width()}×{image.height()} shown)")
        self._fit()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """A closed viewer wants no image any more."""
        self.controller.cancel(self.phase)
        super().closeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        """Rescale with the window."""
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self.pixmap is not None:
            self.label.setPixmap(
                self.pixmap.scaled(
                    self.label.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
