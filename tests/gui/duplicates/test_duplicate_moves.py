"""Duplicates moves through the real window: off the UI thread, on the folder as it is now (issue 19)."""

from __future__ import annotations

import shutil
from pathlib import Path

from lookalike.engine.model.bundled import default_model_path
from lookalike.gui.main_window import MainWindow
from PIL import Image
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QAbstractButton, QMessageBox
from pytestqt.qtbot import QtBot

from tests.duplicate_samples import EXACT, RESIZED, duplicate_threshold, samples_with_duplicates
from tests.gui.conftest import LONG, MakeWindow, open_folder
from tests.gui.duplicates.table_rows import PATH, cell, file_rows, group_rows
from tests.trash_location import test_trash  # noqa: F401  (fixture)

LEFT = Qt.MouseButton.LeftButton
N_COPIES = 1001  # one group: one image kept, 1,000 to move


def _listed(qtbot: QtBot, window: MainWindow, folder: Path) -> None:
    open_folder(qtbot, window, folder)
    with qtbot.waitSignal(window.duplicates.listed, timeout=LONG):
        window.tabs.setCurrentWidget(window.duplicates)


def _yes(window: MainWindow) -> QAbstractButton:
    box = window.duplicates.mover.confirm_box
    assert box is not None
    yes = box.button(QMessageBox.StandardButton.Yes)
    assert yes is not None
    return yes


def _select_groups_holding(window: MainWindow, *rels: str) -> None:
    view = window.duplicates
    picked = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for top in group_rows(view):
        if any(cell(view, r, PATH) in rels for r in file_rows(view, top)):
            view.table.selectionModel().select(view.rows.index(top, 0), picked)


class Ticks:
    """A 0 ms timer counting event-loop turns, to see the UI thread stay free."""

    def __init__(self) -> None:
        self.count = 0
        self.timer = QTimer()
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.count += 1


def test_a_thousand_files_move_and_come_back_while_the_window_keeps_running(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    test_trash: Path,  # noqa: F811
) -> None:
    folder = tmp_path / "copies"
    folder.mkdir()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(folder / "img0000.png")
    for n in range(1, N_COPIES):
        shutil.copyfile(folder / "img0000.png", folder / f"img{n:04d}.png")
    window = make_window()
    _listed(qtbot, window, folder)
    view = window.duplicates
    assert view.listing is not None
    assert [len(g.files) for g in view.listing.groups] == [N_COPIES]
    qtbot.mouseClick(view.trash_button, LEFT)
    done: list[int] = []
    ticks = Ticks()
    view.mover.moved.connect(lambda _outcome: done.append(ticks.count))
    ticks.timer.start()
    with qtbot.waitSignal(window.controller.embedded, timeout=LONG):  # moved, then re-scanned
        qtbot.mouseClick(_yes(window), LEFT)
        assert done == []  # the click returned before the move finished: it runs in a worker
        ticks.count = 0
        assert not view.trash_button.isEnabled()  # no second action while one runs
    assert done[0] > 0  # the event loop kept turning during the move
    assert sorted(p.name for p in folder.iterdir()) == ["img0000.png"]
    assert len(list((test_trash / "files").iterdir())) == N_COPIES - 1
    restored: list[int] = []
    view.mover.restored.connect(lambda _paths: restored.append(ticks.count))
    with qtbot.waitSignal(window.controller.embedded, timeout=LONG):
        qtbot.mouseClick(view.undo_button, LEFT)
        assert restored == []
        ticks.count = 0
    ticks.timer.stop()
    assert restored[0] > 0
    assert len(list(folder.iterdir())) == N_COPIES
    assert list((test_trash / "files").iterdir()) == []
    assert list((test_trash / "info").iterdir()) == []


def test_files_changed_after_the_listing_are_not_trashed(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    test_trash: Path,  # noqa: F811
) -> None:
    folder = samples_with_duplicates(tmp_path / "photos")
    window = make_window(model=default_model_path())
    window.session.set_threshold(duplicate_threshold())
    _listed(qtbot, window, folder)
    _select_groups_holding(window, EXACT[1], RESIZED[1])
    other = next(p for p in sorted((folder / "flag_de").iterdir()) if p.suffix == ".png")
    shutil.copyfile(other, folder / EXACT[1])  # the copy to move is now another picture
    (folder / RESIZED[0]).unlink()  # the group's kept image deleted outside the app
    qtbot.mouseClick(window.duplicates.trash_button, LEFT)
    with (
        qtbot.waitSignal(window.controller.embedded, timeout=LONG),  # re-scanned afterwards
        qtbot.waitSignal(window.error_shown, timeout=LONG) as shown,
    ):
        qtbot.mouseClick(_yes(window), LEFT)
    assert f"{EXACT[1]}: changed since it was listed" in shown.args[1]
    assert f"{RESIZED[1]}: its group's kept image {RESIZED[0]}: no longer there" in shown.args[1]
    assert (folder / EXACT[1]).read_bytes() == other.read_bytes()
    assert (folder / RESIZED[1]).exists()  # the last copy of that picture stays
    trashed = {p.name for p in (test_trash / "files").iterdir()} if test_trash.exists() else set()
    assert not trashed & {Path(EXACT[1]).name, Path(RESIZED[1]).name}


def test_a_destination_holding_a_file_named_like_a_needed_folder_is_refused(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    folder = samples_with_duplicates(tmp_path / "photos")
    window = make_window(model=default_model_path())
    window.session.set_threshold(duplicate_threshold())
    _listed(qtbot, window, folder)
    _select_groups_holding(window, EXACT[1])
    dest = tmp_path / "aside"
    dest.mkdir()
    (dest / Path(EXACT[1]).parent.name).write_bytes(b"the user's file")
    before = sorted(p for p in folder.rglob("*") if p.is_file())
    qtbot.mouseClick(window.duplicates.folder_button, LEFT)
    dialog = window.duplicates.mover.folder_dialog
    assert dialog is not None
    dialog.setDirectory(str(dest))
    dialog.selectFile(str(dest))
    with qtbot.waitSignal(window.error_shown, timeout=LONG) as shown:
        dialog.accept()
    assert "is a file where a folder is needed" in shown.args[1]
    assert window.duplicates.mover.confirm_box is None  # refused before asking
    assert sorted(p for p in folder.rglob("*") if p.is_file()) == before
    assert [p.name for p in dest.iterdir()] == [Path(EXACT[1]).parent.name]
