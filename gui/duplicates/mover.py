"""Moving the proposed duplicates away and back: confirmation, the folder dialog, the move, undo.

Nothing is ever deleted: the files go to the system trash or a folder the user picks, only after a
confirmation, and the last move can be undone. The folder is re-scanned afterwards, which also
drops the moved files from its embedding cache.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lookalike.engine.duplicates.file_moves import (
    MoveError,
    MoveRecord,
    move_to_folder,
    move_to_trash,
    undo_move,
)
from lookalike.gui.controller import Controller
from lookalike.gui.state.session import Session
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

MoveFn = Callable[[list[Path]], MoveRecord]


class DuplicateMover(QObject):
    """Asks, moves, remembers the last move for undo; `moved`/`restored` fire once files moved."""

    moved = Signal(object)  # MoveRecord
    restored = Signal(list)
    undo_changed = Signal()

    def __init__(self, session: Session, controller: Controller, parent: QWidget) -> None:
        super().__init__(parent)
        self.session, self.controller, self.widget = session, controller, parent
        self.last_record: MoveRecord | None = None
        self.confirm_box: QMessageBox | None = None
        self.folder_dialog: QFileDialog | None = None

    def ask_trash(self, paths: list[Path]) -> None:
        """Confirm, then send `paths` to the system trash."""
        self._confirm(paths, "the system trash", move_to_trash)

    def ask_folder(self, paths: list[Path]) -> None:
        """Pick a folder (outside the open one), confirm, then move `paths` there."""
        start = str(self.session.folder.parent if self.session.folder else Path.home())
        dialog = QFileDialog(self.widget, "Move the others to this folder", start)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda folder: self._folder_chosen(paths, Path(folder)))
        self.folder_dialog = dialog
        dialog.open()

    def _folder_chosen(self, paths: list[Path], dest: Path) -> None:
        root = self.session.folder
        if root is not None and dest.resolve().is_relative_to(root.resolve()):
            self.controller.failed.emit("Move duplicates", "Pick a folder outside the open folder.")
            return
        self._confirm(paths, str(dest), lambda chosen: move_to_folder(chosen, dest, root))

    def _confirm(self, paths: list[Path], where: str, move: MoveFn) -> None:
        if not paths:
            self.controller.notice.emit("Nothing to move")
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Move duplicates",
            f"Move {len(paths)} image(s) to {where}?\nOne image of each group stays. "
            "Nothing is deleted, and Undo puts them back.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.widget,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(lambda b: self._move(paths, move) if b is yes else None)
        self.confirm_box = box
        box.open()

    def _move(self, paths: list[Path], move: MoveFn) -> None:
        self.confirm_box = None
        try:
            record: MoveRecord | None = move(paths)
        except MoveError as exc:
            record = exc.record  # what did move before the failure stays undoable
            self.controller.failed.emit("Move duplicates", str(exc))
        if record is not None and record.moved:
            self.last_record = record
            self.controller.notice.emit(f"Moved {len(record.moved)} image(s) to {record.destination}")
            self.moved.emit(record)
        self._rescan()

    def undo(self) -> None:
        """Put the files of the last move back and re-scan the folder."""
        record, self.last_record = self.last_record, None
        if record is None:
            return
        try:
            restored = undo_move(record)
        except MoveError as exc:
            restored = []
            self.controller.failed.emit("Undo", str(exc))
        self.controller.notice.emit(f"Restored {len(restored)} image(s)")
        self.restored.emit(restored)
        self._rescan()

    def _rescan(self) -> None:
        self.undo_changed.emit()
        if self.session.folder is not None:
            self.controller.open_folder(self.session.folder)
