"""A place to drop one image file (from the file manager or the gallery); shows it or says what is wrong."""

from __future__ import annotations

from pathlib import Path

from lookalike.gui.widgets.palette import NO_MATCH
from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

HINT = "Drop an image here\n(from your file manager or the gallery)"


def dropped_files(mime: QMimeData) -> list[Path]:
    """Local file paths in a drop (non-local URLs are ignored)."""
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []


class DropZone(QFrame):
    """Emits `dropped(paths)`; `show_image` / `show_error` display the outcome in place."""

    dropped = Signal(list)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumSize(220, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.title = QLabel(f"<b>{title}</b>")
        self.image = QLabel(HINT)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self._pixmap: QPixmap | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)
        self.error: str | None = None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        """Accept anything carrying local files; the content is checked after the drop."""
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """Hand the dropped paths on."""
        paths = dropped_files(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.dropped.emit(paths)

    def show_loading(self, path: Path) -> None:
        """Say which file is being read."""
        self.error = None
        self.caption.setStyleSheet("")
        self.caption.setText(f"Reading {path.name}…")

    def show_image(self, image: QImage, caption: str) -> None:
        """Show the decoded image and its name/class."""
        self.error = None
        self._pixmap = QPixmap.fromImage(image)
        self.caption.setStyleSheet("")
        self.caption.setText(caption)
        self._fit()

    def show_error(self, message: str) -> None:
        """A clear message in place of the image (never a crash)."""
        self.error = message
        self._pixmap = None
        self.image.setPixmap(QPixmap())
        self.image.setText("✕")
        self.caption.setStyleSheet(f"color: {NO_MATCH};")
        self.caption.setText(message)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        """Keep the image scaled to the zone."""
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap is None or self._pixmap.isNull():
            return
        size = self.image.size()
        self.image.setPixmap(
            self._pixmap.scaled(
                size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )
