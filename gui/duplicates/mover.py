"""Moving the proposed duplicates away and back: confirmation, the folder dialog, the move, undo.

Nothing is ever deleted: the files go to the system trash (Qt's, which says where each file landed,
so undo works on every platform) or a folder the user picks, only after a confirmation, and the
last move can be undone. Moves and undos run off the UI thread (engine.duplicates.group_moves
re-checks each file first); the folder is re-scanned afterwards, which also drops the moved files
from its embedding cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lookalike.engine.duplicates.file_moves import (
    TRASH,
    MoveError,
    MoveOutcome,
    MoveRecord,
    UndoOutcome,
    undo_move,
)
from lookalike.engine.duplicates.folder_moves import FolderTarget
from lookalike.engine.duplicates.group_moves import MoveTarget, TrashTarget, move_groups
from lookalike.engine.duplicates.listing import DuplicateGroup
from lookalike.engine.errors import LookalikeError
from lookalike.gui.controller import Controller
from lookalike.gui.state.session import Session
from lookalike.gui.widgets.workers import ProgressFn
from PySide6.QtCore import QFile, QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

PHASE = "move"


def qt_trash(path: Path) -> Path:
    """Move one file to the system trash with Qt; returns where it landed (raises OSError)."""
    handle = QFile(str(path))
    if not handle.moveToTrash():
        raise OSError(f"could not move it to the trash: {handle.errorString()}")
    return Path(handle.fileName())


class DuplicateMover(QObject):
    """Asks, moves, remembers the last move for undo; `moved`/`restored` fire once files moved."""

    moved = Signal(object)  # MoveOutcome
    restored = Signal(list)
    undo_changed = Signal()

    def __init__(self, session: Session, controller: Controller, parent: QWidget) -> None:
        super().__init__(parent)
        self.session, self.controller, self.widget = session, controller, parent
        self.last_record: MoveRecord | None = None
        self.busy = False
        self.confirm_box: QMessageBox | None = None
        self.folder_dialog: QFileDialog | None = None

    def ask_trash(self, groups: list[DuplicateGroup]) -> None:
        """Confirm, then send the groups' proposed images to the system trash."""
        self._confirm(groups, TRASH, TrashTarget(qt_trash))

    def ask_folder(self, groups: list[DuplicateGroup]) -> None:
        """Pick a folder (outside the open one), confirm, then move the proposed images there."""
        start = str(self.session.folder.parent if self.session.folder else Path.home())
        dialog = QFileDialog(self.widget, "Move the others to this folder", start)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda folder: self._folder_chosen(groups, Path(folder)))
        self.folder_dialog = dialog
        dialog.open()

    def _folder_chosen(self, groups: list[DuplicateGroup], dest: Path) -> None:
        emb = self.session.embeddings
        root = emb.folder if emb is not None else None
        self._confirm(groups, str(dest), FolderTarget(dest, root))

    def _confirm(self, groups: list[DuplicateGroup], where: str, target: MoveTarget) -> None:
        emb = self.session.embeddings
        count = sum(len(g.moving()) for g in groups)
        if emb is None or count == 0:
            self.controller.notice.emit("Nothing to move")
            return
        try:
            target.check([f.rel_path for g in groups for f in g.moving()])
        except MoveError as exc:
            self.controller.failed.emit("Move duplicates", str(exc))
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Move duplicates",
            f"Move {count} image(s) to {where}?\nOne image of each group stays, and links with the "
            "files they point to. Nothing is deleted, and Undo puts them back.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.widget,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        yes = box.button(QMessageBox.StandardButton.Yes)
        folder = emb.folder
        box.buttonClicked.connect(lambda b: self._move(folder, groups, target) if b is yes else None)
        self.confirm_box = box
        box.open()

    def _move(self, folder: Path, groups: list[DuplicateGroup], target: MoveTarget) -> None:
        self.confirm_box = None

        def job(progress: ProgressFn, cancel: threading.Event) -> MoveOutcome:
            return move_groups(folder, groups, target, progress, cancel.is_set)

        self._start(job, self._moved, "Move duplicates")

    def _moved(self, outcome: MoveOutcome) -> None:
        self._finish()
        if outcome.record.moved:
            self.last_record = outcome.record
        if outcome.skipped or (outcome.stopped and not outcome.cancelled):
            self.controller.failed.emit("Move duplicates", outcome.summary())
        else:
            self.controller.notice.emit(outcome.summary())
        self.moved.emit(outcome)
        self._rescan()

    def undo(self) -> None:
        """Put the files of the last move back (off the UI thread) and re-scan the folder."""
        record = self.last_record
        if record is None or self.busy:
            return
        self._start(lambda progress, cancel: undo_move(record), self._undone, "Undo")

    def _undone(self, outcome: UndoOutcome) -> None:
        self._finish()
        self.last_record = outcome.remaining  # files that could not be restored stay undoable
        if outcome.problems:
            self.controller.failed.emit("Undo", outcome.summary())
        else:
            self.controller.notice.emit(outcome.summary())
        self.restored.emit(outcome.restored)
        self._rescan()

    def _start(
        self, job: Callable[[ProgressFn, threading.Event], Any], done: Callable[[Any], None], title: str
    ) -> None:
        self.busy = True
        self.undo_changed.emit()
        self.controller.run(PHASE, job, done, lambda exc: self._failed(title, exc))

    def _failed(self, title: str, exc: BaseException) -> None:
        self._finish()
        text = str(exc) if isinstance(exc, LookalikeError) else f"{type(exc).__name__}: {exc}"
        self.controller.failed.emit(title, text)

    def _finish(self) -> None:
        self.busy = False
        self.undo_changed.emit()

    def _rescan(self) -> None:
        if self.session.folder is not None:
            self.controller.open_folder(self.session.folder)
