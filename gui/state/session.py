"""The app's shared state: model, folder embeddings, pair statistics, threshold, selection.

Views only listen to these signals and write back through the setters; background work that fills
the state lives in the controller.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.model.manifest import Histograms
from lookalike.engine.thresholds.default import ThresholdChoice, histogram_precision
from lookalike.engine.thresholds.folder import FolderThreshold
from lookalike.engine.thresholds.summary import FolderPairs, ThresholdSummary, summarize
from lookalike.engine.thresholds.table import DUPLICATE_KEYS, name
from PySide6.QtCore import QObject, Signal

MAX_DISTANCE = 2.0  # embeddings are unit vectors, so no Euclidean distance exceeds 2


class Session(QObject):
    """Holds what every view shows; emits a signal whenever a piece of it changes."""

    model_changed = Signal(object)
    folder_changed = Signal(object)
    pairs_changed = Signal(object)
    threshold_changed = Signal(float)
    selection_changed = Signal(list)
    subset_changed = Signal(object)
    folder_thresholds_changed = Signal(list)  # FolderThreshold: best F1 and FAR targets on this folder

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.embedder: Embedder | None = None
        self.folder: Path | None = None
        self.embeddings: FolderEmbeddings | None = None
        self.pairs: FolderPairs | None = None
        self.threshold = 1.0
        self.selection: list[int] = []
        self.folder_thresholds: list[FolderThreshold] = []

    def set_model(self, embedder: Embedder, threshold: float | None = None) -> None:
        """A new model: everything embedded with the old one is gone."""
        self.embedder = embedder
        self.set_embeddings(None)
        self.model_changed.emit(embedder)
        self.set_threshold(embedder.manifest.default_threshold if threshold is None else threshold)

    def set_embeddings(self, embeddings: FolderEmbeddings | None) -> None:
        """The folder's vectors (or None while none are available)."""
        self.embeddings = embeddings
        self.pairs = None
        self.folder_thresholds = []
        self.selection = []
        self.folder_changed.emit(embeddings)
        self.pairs_changed.emit(None)
        self.selection_changed.emit([])

    def set_pairs(self, pairs: FolderPairs | None) -> None:
        """Pair statistics of the current folder, computed once per folder."""
        self.pairs = pairs
        if self.folder_thresholds:
            self.set_folder_thresholds([])
        self.pairs_changed.emit(pairs)

    def set_folder_thresholds(self, items: list[FolderThreshold]) -> None:
        """Thresholds chosen on this folder's labels (computed in the background after the pairs)."""
        self.folder_thresholds = list(items)
        self.folder_thresholds_changed.emit(self.folder_thresholds)

    def set_threshold(self, value: float) -> None:
        """The one match threshold of the app, in distance units (NaN is no threshold: ignored)."""
        if math.isnan(float(value)):
            return
        self.threshold = min(max(float(value), 0.0), MAX_DISTANCE)
        self.threshold_changed.emit(self.threshold)

    def select(self, rows: Sequence[int]) -> None:
        """Select images by row of the folder embeddings (from gallery, map or neighbours)."""
        n = len(self.embeddings) if self.embeddings is not None else 0
        clean = [int(r) for r in dict.fromkeys(rows) if 0 <= int(r) < n]
        if clean != self.selection:
            self.selection = clean
            self.selection_changed.emit(clean)

    def show_subset(self, rows: Sequence[int] | None) -> None:
        """Restrict the gallery to some rows (a lasso on the map), or show all again with None."""
        self.subset_changed.emit(None if rows is None else sorted({int(r) for r in rows}))

    def summary(self) -> ThresholdSummary | None:
        """The folder at the current threshold, when its pair statistics are ready."""
        return summarize(self.pairs, self.threshold) if self.pairs is not None else None

    def histograms(self) -> tuple[Histograms | None, str]:
        """Genuine/impostor histograms: the folder's when labelled, else the model's calibration."""
        if self.pairs is not None and self.pairs.histograms is not None:
            return self.pairs.histograms, "this folder's labels"
        if self.embedder is not None and self.embedder.manifest.histograms is not None:
            return self.embedder.manifest.histograms, "the model's calibration"
        return None, ""

    def calibrated_thresholds(self) -> dict[str, float]:
        """The model's calibrated *match* thresholds (best accuracy, FAR points): what the slider
        marks and offers; the duplicate ("same picture") thresholds are the Duplicates tab's."""
        if self.embedder is None:
            return {}
        return {k: v for k, v in self.embedder.manifest.thresholds.items() if k not in DUPLICATE_KEYS}

    def default_choice(self) -> ThresholdChoice | None:
        """The model's default threshold and the rule that picked it."""
        return self.embedder.manifest.default_choice if self.embedder is not None else None

    def calibration_precision(self, threshold: float) -> float | None:
        """Precision the model's held-out calibration pairs give at `threshold` (no folder labels needed)."""
        hist = self.embedder.manifest.histograms if self.embedder is not None else None
        return histogram_precision(hist, threshold) if hist is not None else None

    def precision_note(self) -> str:
        """'precision 0.57 (…)' at the current threshold: the folder's labels, else the calibration."""
        summary = self.summary()
        if summary is not None and summary.stats is not None:
            return f"precision {summary.stats.precision:.2f} on this folder"
        precision = self.calibration_precision(self.threshold)
        return "" if precision is None else f"precision {precision:.2f} on the model's calibration"

    def threshold_source(self) -> str:
        """Which named threshold the current one is: the model's default, a folder choice, or custom."""
        t = self.threshold
        for item in self.folder_thresholds:
            if abs(item.value - t) < 1e-6:
                return f"this folder's {item.name}"
        choice = self.default_choice()
        if choice is not None and abs(choice.value - t) < 1e-6:
            return f"default: {choice.label}"
        for key, value in self.calibrated_thresholds().items():
            if abs(value - t) < 1e-6:
                return f"model: {name(key)}"
        return "custom"
