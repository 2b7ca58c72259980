"""Use 1: compare two images by dragging them in."""

from __future__ import annotations

from pathlib import Path

import pytest
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.search.distances import distance
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG, MakeWindow
from tests.gui.drag_drop import drop_files


def _card(folder: Path, cls: str, i: int) -> Path:
    return sorted((folder / cls).iterdir())[i]


def test_dropping_two_files_shows_distance_and_verdict(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path, projection_model_path: Path
) -> None:
    window = make_window()
    compare = window.compare
    a, b = _card(cards_folder, "1_of_spades", 0), _card(cards_folder, "queen_of_hearts", 1)
    assert drop_files(compare.zones["a"], [a])
    with qtbot.waitSignal(compare.compared, timeout=LONG) as blocker:
        assert drop_files(compare.zones["b"], [b])
    emb = Embedder(projection_model_path)
    expected = distance(emb.embed_file(a), emb.embed_file(b))
    assert blocker.args[0] == pytest.approx(expected, abs=1e-5)
    assert f"{expected:.4f}" in compare.distance_label.text()
    # the verdict follows the threshold on either side of this distance
    window.session.set_threshold(expected + 0.05)
    assert compare.verdict.text() == "MATCH"
    assert compare.is_match is True
    window.session.set_threshold(expected - 0.05)
    assert compare.verdict.text() == "NO MATCH"
    assert compare.histogram.distance == pytest.approx(expected, abs=1e-5)


def test_two_files_dropped_on_one_zone_fill_both(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path
) -> None:
    window = make_window()
    a, b = _card(cards_folder, "2_of_hearts", 0), _card(cards_folder, "2_of_hearts", 1)
    with qtbot.waitSignal(window.compare.compared, timeout=LONG):
        drop_files(window.compare.zones["a"], [a, b])
    assert [loaded.path for loaded in window.compare.loaded.values() if loaded] == [a, b]
    assert window.compare.zones["b"].caption.text().startswith(b.name)


def test_a_non_image_drop_gives_a_message_in_place(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, cards_folder: Path
) -> None:
    window = make_window()
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    with qtbot.waitSignal(window.compare.rejected, timeout=LONG):
        assert drop_files(window.compare.zones["a"], [text])
    zone = window.compare.zones["a"]
    assert zone.error is not None
    assert "not an image" in zone.error
    assert "not an image" in zone.caption.text()
    assert window.compare.verdict.text() == ""
    # the zone still works after the error
    with qtbot.waitSignal(window.compare.compared, timeout=LONG):
        drop_files(zone, [_card(cards_folder, "10_of_clubs", 0)])
        drop_files(window.compare.zones["b"], [_card(cards_folder, "10_of_clubs", 1)])
    assert zone.error is None


def test_a_folder_or_broken_file_is_refused_clearly(
    qtbot: QtBot, make_window: MakeWindow, broken_folder: Path
) -> None:
    window = make_window()
    drop_files(window.compare.zones["b"], [broken_folder / "1_of_spades"])
    assert "folder" in (window.compare.zones["b"].error or "")
    with qtbot.waitSignal(window.compare.rejected, timeout=LONG) as blocker:
        drop_files(window.compare.zones["a"], [broken_folder / "1_of_spades" / "truncated.jpg"])
    assert "truncated" in blocker.args[0] or "corrupt" in blocker.args[0]
