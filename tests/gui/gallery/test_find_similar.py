"""Find similar: an image from outside the folder, dropped on the gallery or chosen from the File
menu, shows its nearest neighbours in the open folder, exactly as `lookalike neighbours --query`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lookalike.engine.model.bundled import default_model_path
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from lookalike.cli.main import main as cli_main
from tests.gui.conftest import LONG, MakeWindow, embeddings_of, open_folder
from tests.gui.drag_drop import drop_files
from tests.gui.samples import copy_samples


def cli_neighbours(folder: Path, query: Path, k: int, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    """The CLI's answer, run in this process on the same model and cache."""
    capsys.readouterr()
    argv = ["neighbours", str(folder), "--query", str(query), "-k", str(k), "--json"]
    assert cli_main([*argv, "--model", str(default_model_path())]) == 0
    (answer,) = json.loads(capsys.readouterr().out)["neighbours"].values()
    return list(answer)


def test_dropped_outside_image_equals_the_cli_query(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_samples(tmp_path / "samples")
    outside = tmp_path / "elsewhere" / "my_flag.png"
    outside.parent.mkdir()
    moved = sorted((folder / "flag_it").iterdir())[0]
    shutil.move(moved, outside)  # a real picture whose class is in the folder, the file itself is not
    window = make_window(model=default_model_path())
    open_folder(qtbot, window, folder)
    window.neighbours.k.setValue(9)
    with qtbot.waitSignal(window.outside.answered, timeout=LONG) as got:
        assert drop_files(window.gallery.list.viewport(), [outside])
    assert got.args[0].self_row is None
    emb = embeddings_of(window)
    shown = window.neighbours.neighbours
    assert window.tabs.currentWidget() is window.neighbours
    assert "my_flag.png" in window.neighbours.title.text()
    assert window.neighbours.list.count() == len(shown) == 9
    expected = cli_neighbours(folder, outside, 9, capsys)
    assert [emb.paths[n.row] for n in shown] == [e["path"] for e in expected]
    assert [n.distance for n in shown] == pytest.approx([e["distance"] for e in expected], abs=1e-6)
    assert emb.labels[shown[0].row] == "flag_it"  # the same flag's other photos come first
    for i, n in enumerate(shown):  # distance and verdict on every item
        assert n.match == (n.distance < window.session.threshold)
        text = window.neighbours.list.item(i).text()
        assert f"{n.distance:.3f}" in text
        assert ("no match" in text) != n.match


def test_file_menu_query_of_an_image_inside_the_folder_leaves_it_out(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = copy_samples(tmp_path / "samples")
    inside = sorted((folder / "8_of_spades").iterdir())[2]
    window = make_window(model=default_model_path())
    open_folder(qtbot, window, folder)
    monkeypatch.setattr(
        "lookalike.gui.main_window.QFileDialog.getOpenFileName", lambda *a, **k: (str(inside), "")
    )
    file_menu = window.menuBar().actions()[0].menu()
    assert isinstance(file_menu, QMenu)
    action = next(a for a in file_menu.actions() if "similar" in a.text())
    with qtbot.waitSignal(window.outside.answered, timeout=LONG) as got:
        action.trigger()
    emb = embeddings_of(window)
    assert got.args[0].self_row == emb.paths.index("8_of_spades/" + inside.name)
    expected = cli_neighbours(folder, inside, window.neighbours.k.value(), capsys)
    assert [emb.paths[n.row] for n in window.neighbours.neighbours] == [e["path"] for e in expected]
    assert "8_of_spades/" + inside.name not in [e["path"] for e in expected]


def test_heic_and_avif_photos_open_in_the_gallery_and_as_queries(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lookalike.engine.images.loading import register_phone_formats
    from PIL import Image

    register_phone_formats()  # the HEIC encoder, too
    folder = copy_samples(tmp_path / "samples")
    source = sorted((folder / "flag_kr").iterdir())[0]
    with Image.open(source) as img:
        img.convert("RGB").save(folder / "flag_kr" / "phone.avif", quality=90)
        img.convert("RGB").save(tmp_path / "query.heic", quality=90)
    window = make_window(model=default_model_path())
    open_folder(qtbot, window, folder)
    emb = embeddings_of(window)
    assert "flag_kr/phone.avif" in emb.paths
    assert not [s for s in emb.skipped if s.path.endswith(".avif")]
    row = emb.paths.index("flag_kr/phone.avif")
    path = str(emb.abs_path(row))
    qtbot.waitUntil(lambda: window.thumbs.pixmap(path) is not None, timeout=LONG)  # decoded off-thread
    pixmap = window.thumbs.pixmap(path)
    assert pixmap is not None
    assert pixmap.width() > 16
    with qtbot.waitSignal(window.outside.answered, timeout=LONG):
        assert drop_files(window.gallery.list.viewport(), [tmp_path / "query.heic"])
    shown = [emb.paths[n.row] for n in window.neighbours.neighbours]
    assert shown == [e["path"] for e in cli_neighbours(folder, tmp_path / "query.heic", len(shown), capsys)]
    assert shown[0].startswith("flag_kr/")


def test_outside_query_shows_its_image_and_clears_the_old_selection(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    folder = copy_samples(tmp_path / "samples")
    outside = tmp_path / "elsewhere" / "my_flag.png"
    outside.parent.mkdir()
    shutil.move(sorted((folder / "flag_it").iterdir())[0], outside)
    window = make_window(model=default_model_path())
    open_folder(qtbot, window, folder)
    window.session.select([3])  # an earlier pick stays highlighted unless the query clears it
    assert window.gallery.list.selectionModel().selectedIndexes()
    with qtbot.waitSignal(window.outside.answered, timeout=LONG):
        assert drop_files(window.gallery.list.viewport(), [outside])
    assert window.session.selection == []
    assert not window.gallery.list.selectionModel().selectedIndexes()
    view = window.neighbours
    qtbot.waitUntil(lambda: not view.query_image.pixmap().isNull(), timeout=LONG)  # the query itself
    assert view.query_image.toolTip() == str(outside)
    emb = embeddings_of(window)
    for i, n in enumerate(view.neighbours):  # each tile names its file (a long name elided mid-way)
        name, line = emb.paths[n.row].rsplit("/", 1)[-1], view.list.item(i).text().split("\n")[0]
        head, _, tail = line.partition("…")
        assert line == name or (name.startswith(head) and name.endswith(tail) and len(head) > 3)
