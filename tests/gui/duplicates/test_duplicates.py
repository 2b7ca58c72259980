"""Use: find duplicates in the real window, move them to a test trash or a folder, undo; CLI agrees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lookalike.engine.duplicates.listing import list_duplicates
from lookalike.engine.folder.cache import cache_path, default_cache_dir, load_cache
from lookalike.engine.model.bundled import default_model_path
from lookalike.gui.duplicates.view import DuplicatesView
from lookalike.gui.main_window import MainWindow
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from lookalike.cli.main import main as cli_main
from tests.duplicate_samples import (
    EXACT,
    RESIZED,
    duplicate_choice,
    duplicate_threshold,
    samples_with_duplicates,
)
from tests.gui.conftest import LONG, MakeWindow, embedder_of, embeddings_of, open_folder
from tests.gui.duplicates.table_rows import PATH, cell, file_rows, group_holding, group_rows
from tests.trash_location import test_trash  # noqa: F401  (fixture)

LEFT = Qt.MouseButton.LeftButton
THRESHOLD = duplicate_threshold()  # the bundled model's FAR 1e-3 point: small groups on the samples


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return samples_with_duplicates(tmp_path / "photos")


def _window_with_groups(qtbot: QtBot, make_window: MakeWindow, folder: Path) -> MainWindow:
    window = make_window(model=default_model_path())
    window.session.set_threshold(THRESHOLD)
    open_folder(qtbot, window, folder)
    window.status_lines = lines = []  # type: ignore[attr-defined]
    window.controller.progress.connect(lambda phase, *_: lines.append(window.status.phase.text()))
    with qtbot.waitSignal(window.duplicates.listed, timeout=LONG):
        window.tabs.setCurrentWidget(window.duplicates)
    return window


def _group_holding(window: MainWindow, rel: str) -> int | None:
    return group_holding(window.duplicates, rel)


def _confirm(qtbot: QtBot, view: DuplicatesView) -> None:
    box = view.mover.confirm_box
    assert box is not None
    assert box.isVisible()
    assert "Nothing is deleted" in box.text()
    yes = box.button(QMessageBox.StandardButton.Yes)
    assert yes is not None
    with qtbot.waitSignal(view.mover.moved, timeout=LONG):
        qtbot.mouseClick(yes, LEFT)


def test_groups_listed_like_the_engine_and_the_cli(
    qtbot: QtBot, make_window: MakeWindow, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    window = _window_with_groups(qtbot, make_window, folder)
    view = window.duplicates
    said = [line for line in window.status_lines if line.startswith("Duplicates, picture check: ")]  # type: ignore[attr-defined]
    assert said  # the long listing shows its progress in the status bar (with Stop), not "Working…"
    emb = embeddings_of(window)
    choice = duplicate_choice()
    expected = list_duplicates(emb, choice.embedding, "largest", picture=choice.check)
    assert expected is not None
    assert view.listing is not None
    assert view.listing.groups == expected.groups
    assert choice.gate is not None  # the bundled model's pixel gate, said with the rest of the rule
    assert view.listing.pixel_gate == choice.gate.threshold
    assert f"16×16 pixels < {choice.gate.threshold:.4f}" in view.summary.text()
    assert len(group_rows(view)) == len(expected.groups) >= 2
    unchecked = list_duplicates(emb, choice.embedding, "largest")  # the embedding stage alone
    assert unchecked is not None
    assert len(expected.groups) < len(unchecked.groups)  # the picture check splits class-mates apart
    first = view.rows.index(file_rows(view, group_rows(view)[0])[0], 0)  # on screen: its thumbnail arrives
    placeholder = view.rows._placeholder.cacheKey()
    icon = Qt.ItemDataRole.DecorationRole
    qtbot.waitUntil(lambda: first.data(icon).cacheKey() != placeholder, timeout=LONG)
    sizes = [len(file_rows(view, top)) for top in group_rows(view)]
    assert sizes == sorted(sizes, reverse=True)
    for src, copy in (RESIZED, EXACT):
        top = _group_holding(window, copy)
        assert top is not None
        assert src in [cell(view, r, PATH) for r in file_rows(view, top)]
    resized = _group_holding(window, RESIZED[1])
    assert resized is not None
    proposals = {cell(view, r, PATH): cell(view, r, 1) for r in file_rows(view, resized)}
    assert proposals[RESIZED[1]] == "move"  # the half-size copy is never the largest
    assert list(proposals.values()).count("keep") == 1
    capsys.readouterr()
    assert cli_main(["duplicates", str(folder), "--json"]) == 0  # defaults: the same thresholds
    doc = json.loads(capsys.readouterr().out)
    app_groups = [[emb.paths[r] for r in g] for g in (g.rows for g in view.listing.groups)]
    assert [[im["path"] for im in g["images"]] for g in doc["groups"]] == app_groups
    assert [g["keep"] for g in doc["groups"]] == [g.files[g.keep].rel_path for g in view.listing.groups]
    view.rule.setCurrentIndex(view.rule.findData("newest"))
    exact = _group_holding(window, EXACT[1])
    assert exact is not None
    assert [cell(view, r, 1) for r in file_rows(view, exact) if cell(view, r, PATH) == EXACT[1]] == ["move"]


def test_trash_a_group_then_undo(
    qtbot: QtBot,
    make_window: MakeWindow,
    folder: Path,
    test_trash: Path,  # noqa: F811
) -> None:
    window = _window_with_groups(qtbot, make_window, folder)
    view = window.duplicates
    view.rule.setCurrentIndex(view.rule.findData("newest"))
    group = _group_holding(window, EXACT[1])
    assert group is not None
    view.table.selectRow(group)
    assert view.paths_to_move() == [folder / EXACT[1]]
    qtbot.mouseClick(view.trash_button, LEFT)
    with qtbot.waitSignal(view.listed, timeout=LONG):  # the folder is re-scanned and regrouped
        _confirm(qtbot, view)
    assert not (folder / EXACT[1]).exists()
    assert (folder / EXACT[0]).exists()
    assert [p.name for p in (test_trash / "files").iterdir()] == [Path(EXACT[1]).name]
    emb = embeddings_of(window)
    assert EXACT[1] not in emb.paths
    assert EXACT[0] in emb.paths
    embedder = embedder_of(window)
    cache = load_cache(
        cache_path(default_cache_dir(), folder, embedder.sha256), embedder.dim, embedder.sha256
    )
    cached = {key[0] for key in cache.keys}
    assert cache.notice is None
    assert EXACT[1] not in cached
    assert EXACT[0] in cached
    assert _group_holding(window, EXACT[1]) is None
    assert view.undo_button.isEnabled()
    with (
        qtbot.waitSignal(view.listed, timeout=LONG),
        qtbot.waitSignal(view.mover.restored, timeout=LONG) as restored,
    ):
        qtbot.mouseClick(view.undo_button, LEFT)
    assert restored.args[0] == [folder / EXACT[1]]
    assert (folder / EXACT[1]).read_bytes() == (folder / EXACT[0]).read_bytes()
    assert list((test_trash / "files").iterdir()) == []
    assert _group_holding(window, EXACT[1]) is not None
    assert not view.undo_button.isEnabled()


def test_cancel_moves_nothing_and_move_to_folder_undoes(
    qtbot: QtBot, make_window: MakeWindow, folder: Path, tmp_path: Path
) -> None:
    window = _window_with_groups(qtbot, make_window, folder)
    view = window.duplicates
    before = sorted(p.name for p in folder.rglob("*") if p.is_file())
    qtbot.mouseClick(view.trash_button, LEFT)
    assert view.mover.confirm_box is not None
    cancel = view.mover.confirm_box.button(QMessageBox.StandardButton.Cancel)
    assert cancel is not None
    qtbot.mouseClick(cancel, LEFT)
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == before
    to_move = view.paths_to_move()
    assert view.listing is not None
    before_groups = view.listing.groups
    assert len(to_move) == sum(len(g.files) - 1 for g in view.listing.groups)
    dest = tmp_path / "set-aside"
    dest.mkdir()
    qtbot.mouseClick(view.folder_button, LEFT)
    dialog = view.mover.folder_dialog
    assert dialog is not None
    dialog.setDirectory(str(dest))
    dialog.selectFile(str(dest))
    with qtbot.waitSignal(view.listed, timeout=LONG):
        dialog.accept()
        _confirm(qtbot, view)
    moved = sorted(p.relative_to(dest) for p in dest.rglob("*") if p.is_file())
    assert moved == sorted(p.relative_to(folder) for p in to_move)  # the layout is kept
    assert not any(p.exists() for p in to_move)
    # Regrouped without them: complete linkage may now pair images the moved ones had claimed.
    remaining = embeddings_of(window).paths
    assert not {str(p.relative_to(folder)) for p in to_move} & set(remaining)
    assert len(view.listing.groups) < len(before_groups)
    with qtbot.waitSignal(view.listed, timeout=LONG):
        qtbot.mouseClick(view.undo_button, LEFT)
    assert all(p.exists() for p in to_move)
    assert [p for p in dest.rglob("*") if p.is_file()] == []
