"""Work → Teach / Marked pairs and File → Previous / Recent models: the main window's teaching menus."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from lookalike.engine.teaching.teach_run import teachable, train_options
from lookalike.gui.teaching.dialog import TeachDialog
from lookalike.gui.teaching.marks_dialog import MarksDialog
from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from lookalike.gui.main_window import MainWindow


class TeachingActions(QObject):
    """The slots behind those menu entries; they act on the window's session, marks and teacher."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.teach_dialog: TeachDialog | None = None

    def teach(self) -> TeachDialog | None:
        """Work → Teach the model on this folder: the dialog that runs training in a child process."""
        emb = self.w.session.embeddings
        if emb is None or self.w.session.embedder is None:
            self.w.show_error("Teach the model", "Open a folder (and let it finish embedding) first.")
            return None
        reason = teachable(emb, len(self.w.marks.marks()))
        if reason is not None:
            self.w.show_error("Teach the model", reason)
            return None
        store = self.w.marks.store
        marks_file = store.path if store is not None and len(store) else None
        classes = len({lab for lab in emb.labels if lab is not None})
        summary = (
            f"{emb.folder.name}: {len(emb)} images, {classes} classes, {len(self.w.marks.marks())} marked "
            f"pairs. Starting model: {self.w.session.embedder.path.name}."
        )
        dialog = TeachDialog(self.w.teacher, emb.folder, summary, marks_file, self.w)
        dialog.switch_requested.connect(self.w.open_model)
        embedder = self.w.session.embedder
        hybrid = embedder.manifest.training.get("config", {}).get("backbone") == "hybrid"
        dialog.offer_start(embedder.path if hybrid else None)
        self.w.controller.run(
            "train-options",
            lambda p, c: train_options(),
            dialog.offer_backbones,
            partial(self._no_train_options, dialog),
        )
        self.teach_dialog = dialog
        dialog.show()
        return dialog

    def _no_train_options(self, dialog: TeachDialog, exc: BaseException) -> None:
        dialog.offer_backbones("")
        self.w.status.showMessage(f"Could not read `lookalike train --help`: {exc}", 8000)

    def show_marks(self) -> MarksDialog:
        """Work → Marked pairs: list, remove, undo, export."""
        dialog = MarksDialog(self.w.marks, self.w)
        dialog.show()
        return dialog

    def previous_model(self) -> None:
        """File → Previous model: back to the model used before this one."""
        previous = self.w.models.previous()
        if previous is None:
            self.w.status.showMessage("No previous model yet", 5000)
        else:
            self.w.open_model(previous)

    def fill_models(self) -> None:
        """File → Recent models, most recent first."""
        self.w.models_menu.clear()
        for path in self.w.models.recent():
            action = self.w.models_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.w.open_model(p))
        self.w.models_menu.setEnabled(bool(self.w.models.recent()))
