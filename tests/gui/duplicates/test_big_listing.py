"""A big folder's listing (tens of thousands of rows) is shown without work per row on the UI thread."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from lookalike.gui.duplicates.rows_model import DuplicateRows
from pytestqt.qtbot import QtBot

from tests.gui.conftest import MakeWindow
from tests.gui.duplicates.table_rows import PATH, cell, file_rows
from tests.gui.duplicates.test_duplicates import _window_with_groups, folder  # noqa: F401  (fixture)

GROUPS = 20_000  # ~ a 100,000-image folder's listing (bench/app/big_window.py: 9,923 groups)


def test_twenty_thousand_groups_cost_only_the_rows_on_screen(
    qtbot: QtBot,
    make_window: MakeWindow,
    folder: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = _window_with_groups(qtbot, make_window, folder)
    view = window.duplicates
    assert view.listing is not None
    first = view.listing.groups[0]
    many = dataclasses.replace(view.listing, groups=tuple(first for _ in range(GROUPS)))
    asked: list[int] = []
    real_cell = DuplicateRows._image_cell

    def counted(self: DuplicateRows, index: object, group: object, i: int, role: int) -> object:
        asked.append(role)  # every image cell the table asks for, whatever the role
        return real_cell(self, index, group, i, role)  # type: ignore[arg-type]

    monkeypatch.setattr(DuplicateRows, "_image_cell", counted)
    start = time.perf_counter()
    with qtbot.waitSignal(view.listed, timeout=5000):
        view._show(many)
    qtbot.wait(100)  # the table paints what is on screen
    assert view.rows.rowCount() == GROUPS * (len(first.files) + 1)
    # Cells are made for the rows the table shows (and fits its columns to), never for every row:
    # 20,000 groups would be over a million cells.
    assert 0 < len(asked) < 5_000, (len(asked), time.perf_counter() - start)
    view.table.scrollToBottom()
    qtbot.wait(50)
    last = view.rows.group_row(GROUPS - 1)
    assert cell(view, last, 0) == f"Group {GROUPS} · {len(first.files)} images"
    rows = file_rows(view, last)
    assert [cell(view, r, PATH) for r in rows] == [f.rel_path for f in first.files]
    assert view.row_of(first.files[0].rel_path) is not None
