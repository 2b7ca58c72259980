"""Compare two images: drop them in, see both, their distance and the verdict at the threshold."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from lookalike.engine.errors import LookalikeError
from lookalike.engine.search.distances import distance
from lookalike.gui.compare.drop_zone import DropZone
from lookalike.gui.compare.pair_bar import ComparePairBar
from lookalike.gui.controller import Controller
from lookalike.gui.gallery.thumbnail_loader import load_qimage
from lookalike.gui.state.session import Session
from lookalike.gui.teaching.pair_marks_model import PairMarksModel
from lookalike.gui.threshold.histogram_widget import HistogramWidget
from lookalike.gui.widgets.palette import MATCH, NO_MATCH
from lookalike.gui.widgets.workers import ProgressFn
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

PREVIEW = 360


@dataclass(frozen=True)
class Loaded:
    """A dropped image, decoded and embedded."""

    path: Path
    vector: np.ndarray
    preview: QImage


class CompareView(QWidget):
    """Two drop zones, the distance, a coloured verdict and where the distance sits on the histograms."""

    compared = Signal(float)
    rejected = Signal(str)

    def __init__(
        self,
        session: Session,
        controller: Controller,
        marks: PairMarksModel | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.controller = controller
        self.loaded: dict[str, Loaded | None] = {"a": None, "b": None}
        self.zones = {"a": DropZone("Image A"), "b": DropZone("Image B")}
        self.pair_bar = ComparePairBar(session, controller, marks, self.zones)
        self.distance: float | None = None
        self._build()
        session.threshold_changed.connect(lambda _t: self._update_result())
        session.pairs_changed.connect(lambda _p: self._update_histograms())
        session.model_changed.connect(lambda _m: self._model_changed())
        if marks is not None:
            marks.changed.connect(self._update_result)

    def _build(self) -> None:
        self.distance_label = QLabel("Drop two images to compare them")
        self.distance_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.distance_label.setStyleSheet("font-size: 16pt;")
        self.verdict = QLabel()
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict.setMinimumHeight(44)
        self.histogram = HistogramWidget()
        zones = QHBoxLayout()
        for key, zone in self.zones.items():
            zone.dropped.connect(lambda paths, k=key: self.drop(k, paths))
            zones.addWidget(zone)
        layout = QVBoxLayout(self)
        layout.addLayout(zones, 3)
        layout.addWidget(self.distance_label)
        layout.addWidget(self.verdict)
        layout.addWidget(self.pair_bar)
        layout.addWidget(self.histogram, 2)
        self._update_result()

    def drop(self, key: str, paths: list[Path]) -> None:
        """Files dropped on zone `key`; two files at once fill both zones."""
        if len(paths) >= 2:
            self.load("a", paths[0])
            self.load("b", paths[1])
        else:
            self.load(key, paths[0])

    def load(self, key: str, path: Path) -> None:
        """Decode and embed one file in the background; problems are shown in its zone."""
        zone = self.zones[key]
        self.loaded[key] = None
        self._update_result()
        embedder = self.session.embedder
        if embedder is None:
            zone.show_error("No model is loaded yet")
            return
        if path.is_dir():
            zone.show_error(
                f"{path.name} is a folder, not an image (drop folders on the window to open them)"
            )
            return
        zone.show_loading(path)

        def job(progress: ProgressFn, cancel: threading.Event) -> Loaded:
            return Loaded(path, embedder.embed_file(path), load_qimage(str(path), PREVIEW))

        self.controller.run(f"compare-{key}", job, partial(self._loaded, key), partial(self._failed, key))

    def _loaded(self, key: str, result: Loaded) -> None:
        self.loaded[key] = result
        label = label_of_folder(result.path)
        self.zones[key].show_image(result.preview, result.path.name + (f"\nclass: {label}" if label else ""))
        self._update_result()

    def _failed(self, key: str, exc: BaseException) -> None:
        reason = str(exc) if isinstance(exc, LookalikeError) else f"{type(exc).__name__}: {exc}"
        self.zones[key].show_error(f"Cannot use this file: {reason}")
        self.rejected.emit(reason)

    def _model_changed(self) -> None:
        for key, item in list(self.loaded.items()):
            if item is not None:
                self.load(key, item.path)
        self._update_histograms()

    def _update_histograms(self) -> None:
        hist, source = self.session.histograms()
        self.histogram.set_data(hist, source)

    def _update_result(self) -> None:
        a, b = self.loaded["a"], self.loaded["b"]
        t = self.session.threshold
        self.pair_bar.set_pair(None if a is None or b is None else (a.path, b.path))
        if a is None or b is None:
            self.distance = None
            self.verdict.setText("")
            self.verdict.setStyleSheet("")
            self.histogram.set_marks(t, None)
            return
        self.distance = distance(a.vector, b.vector)
        note = self.session.precision_note()
        self.distance_label.setText(
            f"Distance {self.distance:.4f}   (threshold {t:.4f}" + (f", {note})" if note else ")")
        )
        marked = self.pair_bar.marked()
        match = self.distance < t if marked is None else marked
        self.verdict.setText(
            ("MATCH" if match else "NO MATCH") + ("  (your mark)" if marked is not None else "")
        )
        colour = MATCH if match else NO_MATCH
        self.verdict.setStyleSheet(f"background: {colour}; color: white; font-size: 18pt; font-weight: bold;")
        self.histogram.set_marks(t, self.distance)
        self.compared.emit(self.distance)

    @property
    def is_match(self) -> bool | None:
        """The verdict shown (None until both images are loaded)."""
        if self.distance is None:
            return None
        marked = self.pair_bar.marked()
        return self.distance < self.session.threshold if marked is None else marked


def label_of_folder(path: Path) -> str | None:
    """The class name a dropped file would have: its parent folder's name."""
    return path.parent.name or None
