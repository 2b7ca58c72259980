"""The gallery's captions tell apart images whose files share a name across classes."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.gui.conftest import MakeWindow, open_folder
from tests.gui.samples import copy_samples


def test_captions_show_the_class_of_shared_names(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    folder = copy_samples(tmp_path / "samples")
    window = make_window()
    emb = open_folder(qtbot, window, folder)
    model = window.gallery.model
    qtbot.waitUntil(lambda: model.complete)
    shown = {emb.paths[r]: model.index(r).data() for r in range(model.rowCount())}
    assert shown["flag_jm/iso_png320.png"] == "iso_png320.png\nflag_jm"
    assert shown["flag_de/iso_png320.png"] == "iso_png320.png\nflag_de"
    unique = [p for p in emb.paths if sum(q.endswith("/" + p.rsplit("/", 1)[-1]) for q in emb.paths) == 1]
    assert unique
    assert all(shown[p] == p.rsplit("/", 1)[-1] for p in unique)
