"""Under Compare: mark the pair (is a match / not a match) and explain it with an occlusion heat map."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from lookalike.engine.explain.heat_overlay import overlay
from lookalike.engine.explain.occlusion import Explanation, explain_pair
from lookalike.engine.search.image_query import load_query_image
from lookalike.gui.compare.drop_zone import DropZone
from lookalike.gui.controller import Controller
from lookalike.gui.state.session import Session
from lookalike.gui.teaching.pair_marks_model import PairMarksModel
from lookalike.gui.widgets.workers import ProgressFn
from PIL import Image
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

PREVIEW = 360


@dataclass(frozen=True)
class Explained:
    """An explanation with the two previews it is drawn over."""

    paths: tuple[Path, Path]
    result: Explanation
    previews: tuple[Image.Image, Image.Image]


def to_qimage(img: Image.Image) -> QImage:
    """PIL RGB → a QImage that owns its pixels."""
    rgb = img.convert("RGB")
    return QImage(rgb.tobytes(), rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


class ComparePairBar(QWidget):
    """Mark buttons, the pair's mark, an Explain button and the heat map's opacity slider."""

    explained = Signal(object)  # Explained

    def __init__(
        self,
        session: Session,
        controller: Controller,
        marks: PairMarksModel | None,
        zones: dict[str, DropZone],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.controller, self.marks, self.zones = session, controller, marks, zones
        self.paths: tuple[Path, Path] | None = None
        self.current: Explained | None = None
        self.state = QLabel()
        self.buttons = {
            True: QPushButton("Is a match"),
            False: QPushButton("Not a match"),
            None: QPushButton("Clear mark"),
        }
        self.explain_button = QPushButton("Explain")
        self.explain_button.setToolTip("Heat map: the regions whose loss pushes the two images apart")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(55)
        self.opacity.setMaximumWidth(140)
        self.opacity.setToolTip("Heat map opacity")
        self.opacity.valueChanged.connect(lambda _v: self._draw())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for verdict, button in self.buttons.items():
            button.clicked.connect(lambda _=False, v=verdict: self.mark(v))
            layout.addWidget(button)
        layout.addWidget(self.state, 1)
        layout.addWidget(self.explain_button)
        layout.addWidget(QLabel("Opacity"))
        layout.addWidget(self.opacity)
        self.explain_button.clicked.connect(self.explain)
        if marks is not None:
            marks.changed.connect(self.refresh)
        self.set_pair(None)

    def set_pair(self, paths: tuple[Path, Path] | None) -> None:
        """The two images now compared (None until both are loaded)."""
        if paths != self.paths:
            self.current = None
        self.paths = paths
        self.refresh()

    def relative_pair(self) -> tuple[str, str] | None:
        """Both paths relative to the open folder, or None when either lies outside it."""
        folder = self.marks.folder if self.marks is not None else None
        if self.paths is None or folder is None:
            return None
        try:
            a, b = (p.resolve().relative_to(folder).as_posix() for p in self.paths)
        except ValueError:
            return None
        return (a, b) if a != b else None

    def marked(self) -> bool | None:
        """The user's mark on the compared pair (None: not marked, or not in the open folder)."""
        rel = self.relative_pair()
        return None if rel is None or self.marks is None else self.marks.verdict(*rel)

    def refresh(self) -> None:
        """Enable what applies and say how the pair is marked."""
        rel = self.relative_pair()
        for button in self.buttons.values():
            button.setEnabled(rel is not None)
        self.explain_button.setEnabled(self.paths is not None and self.session.embedder is not None)
        if self.paths is None:
            self.state.setText("")
        elif rel is None:
            self.state.setText("Marks are for two different images of the open folder")
        else:
            verdict = self.marks.verdict(*rel) if self.marks is not None else None
            self.state.setText(
                {True: "You marked: is a match", False: "You marked: not a match", None: "Not marked"}[
                    verdict
                ]
            )

    def mark(self, verdict: bool | None) -> None:
        """Mark the pair (or clear its mark)."""
        rel = self.relative_pair()
        if rel is None or self.marks is None:
            return
        if verdict is None:
            self.marks.unmark(*rel)
        else:
            self.marks.mark(*rel, verdict)

    def explain(self) -> None:
        """Compute the occlusion heat maps in the background (progress in the status bar, Esc stops)."""
        embedder, paths = self.session.embedder, self.paths
        if embedder is None or paths is None:
            return

        def job(progress: ProgressFn, cancel: threading.Event) -> Explained:
            images = [load_query_image(embedder, p) for p in paths]  # compare's decode: its distance
            result = explain_pair(embedder, images[0], images[1], progress=progress, cancel=cancel)
            previews = (_preview(images[0]), _preview(images[1]))
            return Explained(paths, result, previews)

        self.controller.run("explain", job, self._explained)

    def _explained(self, item: Explained) -> None:
        if item.paths != self.paths:
            return
        self.current = item
        self._draw()
        self.explained.emit(item)

    def overlays(self) -> tuple[QImage, QImage] | None:
        """Both previews with the heat maps at the slider's opacity."""
        if self.current is None:
            return None
        alpha = self.opacity.value() / 100
        heats = (self.current.result.heat_a, self.current.result.heat_b)
        a, b = (to_qimage(overlay(p, h, alpha)) for p, h in zip(self.current.previews, heats, strict=True))
        return a, b

    def _draw(self) -> None:
        images = self.overlays()
        if images is None or self.current is None:
            return
        for key, image, path in zip(("a", "b"), images, self.current.paths, strict=True):
            self.zones[key].show_image(image, f"{path.name}\nheat: where the match rests")


def _preview(img: Image.Image) -> Image.Image:
    out = img.convert("RGB").copy()
    out.thumbnail((PREVIEW, PREVIEW))
    return out
