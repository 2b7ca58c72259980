"""Pair marks in neighbours and compare (any threshold, undo, list, export) and Explain in compare."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lookalike.engine.model.bundled import sample_folder
from lookalike.engine.teaching.pair_marks import read_marks
from lookalike.gui.duplicates.rows_model import COLUMNS
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG, MakeWindow, open_folder, select_and_wait
from tests.gui.drag_drop import drop_files


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    folder = tmp_path / "samples"
    shutil.copytree(sample_folder(), folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


def test_neighbour_marks_hold_at_any_threshold_and_undo(
    qtbot: QtBot, make_window: MakeWindow, samples: Path, tmp_path: Path
) -> None:
    window = make_window()
    open_folder(qtbot, window, samples)
    select_and_wait(qtbot, window, [0])
    view = window.neighbours
    window.session.set_threshold(2.0)  # every neighbour is a match by distance
    assert "match" in view.list.item(0).text()
    index = view.list.model().index(0, 0)
    pos = view.list.visualRect(index).center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, view.list.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.list.viewport(), event)  # a right-click: per-image actions + marks
    menu = window.image_actions.last_menu
    assert menu is not None
    texts = [a.text() for a in menu.actions()]
    assert "Copy path" in texts
    next(a for a in menu.actions() if a.text() == "Not a match").trigger()
    menu.close()
    assert "✗ marked not a match" in view.list.item(0).text()
    assert view.neighbours[0].match is False
    window.session.set_threshold(0.0)
    view.mark_neighbour(1, is_match=True)
    assert "✓ marked match" in view.list.item(1).text()
    assert view.neighbours[1].match is True
    dialog = window.teaching.show_marks()
    assert dialog.table.rowCount() == 2
    out = tmp_path / "marks"
    save = dialog.choose_export()  # the same dialog as File → Export → Marked pairs
    save.selectNameFilter("CSV (*.csv)")
    save.fileSelected.emit(str(out))
    save.close()
    assert sorted(m.is_match for m in read_marks(tmp_path / "marks.csv")) == [False, True]
    window.marks.undo()
    assert dialog.table.rowCount() == 1
    assert "marked" not in view.list.item(1).text()
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    dialog.table.selectionModel().select(dialog.table.model().index(0, 0), flags)  # no modifier keys
    dialog.remove_selected()
    assert window.marks.marks() == []
    assert "marked" not in view.list.item(0).text()
    dialog.close()


def test_compare_marks_and_explains_a_pair(
    qtbot: QtBot, make_window: MakeWindow, samples: Path, tmp_path: Path
) -> None:
    window = make_window()
    open_folder(qtbot, window, samples)
    compare = window.compare
    a, b = sorted((samples / "flag_it").iterdir())[:2]
    with qtbot.waitSignal(compare.compared, timeout=LONG):
        assert drop_files(compare.zones["a"], [a, b])
        qtbot.waitUntil(lambda: compare.loaded["b"] is not None, timeout=LONG)
    bar = compare.pair_bar
    assert bar.buttons[True].isEnabled()
    window.session.set_threshold(0.0)
    assert compare.is_match is False
    bar.buttons[True].click()
    assert compare.is_match is True
    assert "your mark" in compare.verdict.text()
    assert window.marks.verdict(f"flag_it/{a.name}", f"flag_it/{b.name}") is True

    with qtbot.waitSignal(bar.explained, timeout=LONG) as explained:
        bar.explain_button.click()
    assert explained.args is not None
    assert explained.args[0].result.distance == compare.distance  # the view's two numbers agree
    faint = bar.overlays()
    bar.opacity.setValue(100)
    strong = bar.overlays()
    assert faint is not None
    assert strong is not None
    assert faint[0] != strong[0]
    assert "heat" in compare.zones["a"].caption.text()

    outside = tmp_path / "outside.jpg"
    shutil.copy2(a, outside)
    with qtbot.waitSignal(compare.compared, timeout=LONG):
        compare.load("b", outside)
    assert not bar.buttons[True].isEnabled()
    assert compare.is_match is False  # the mark belongs to the other pair


def test_duplicates_context_menu_marks_against_the_kept_image(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lookalike.engine.model.bundled import default_model_path
    from lookalike.gui.duplicates.marks import DuplicateMarksShown

    from tests.duplicate_samples import samples_with_duplicates
    from tests.gui.duplicates.table_rows import PATH, cell, file_rows, group_rows
    from tests.gui.duplicates.test_duplicates import THRESHOLD

    window = make_window(model=default_model_path())
    window.session.set_threshold(THRESHOLD)
    open_folder(qtbot, window, samples_with_duplicates(tmp_path / "photos"))
    with qtbot.waitSignal(window.duplicates.listed, timeout=LONG):
        window.tabs.setCurrentWidget(window.duplicates)
    view = window.duplicates
    table, top = view.table, group_rows(view)[0]
    listing = view.listing
    assert listing is not None
    group = listing.groups[0]
    row = file_rows(view, top)[next(i for i in range(len(group.files)) if i != group.keep)]
    index = view.rows.index(row, 0)
    table.scrollTo(index)
    pos = table.visualRect(index).center()
    QApplication.sendEvent(
        table.viewport(),
        QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, table.viewport().mapToGlobal(pos)),
    )
    menu = window.image_actions.last_menu
    assert menu is not None
    next(a for a in menu.actions() if a.text() == "Not a match with the kept image").trigger()
    menu.close()
    kept, rel = group.files[group.keep].rel_path, cell(view, row, PATH)
    assert window.marks.verdict(kept, rel) is False
    column = COLUMNS.index("Your mark")
    assert cell(view, row, column) == "✗ not a match"  # the view shows the mark it set
    assert table.horizontalHeader().visualIndex(column) == COLUMNS.index("Proposal") + 1  # on screen
    # A refresh looks at the rows of marked pairs (and rows that showed a mark), not at every row.
    shown = window.duplicates.findChild(DuplicateMarksShown)
    assert shown is not None
    looked: list[str] = []
    real_show = shown._show

    def counted(r: int) -> bool:
        looked.append(cell(view, r, PATH))
        return real_show(r)

    monkeypatch.setattr(shown, "_show", counted)
    assert sum(len(file_rows(view, t)) for t in group_rows(view)) > 2
    window.marks.mark(kept, rel, True)
    assert cell(view, row, column) == "✓ is a match"
    assert sorted(looked) == sorted([kept, rel])
    looked.clear()
    window.marks.unmark(kept, rel)
    assert cell(view, row, column) == ""
    assert looked == [rel]  # the one row that showed a mark, cleared
    kept_row = file_rows(view, top)[group.keep]
    assert cell(view, kept_row, column) == ""
    # Listed again (the table reset), a marked pair's row shows its mark.
    window.marks.mark(kept, rel, False)
    with qtbot.waitSignal(window.duplicates.listed, timeout=LONG):
        window.duplicates.compute()
    again = window.duplicates.row_of(rel)
    assert again is not None
    assert cell(view, again, column) == "✗ not a match"
