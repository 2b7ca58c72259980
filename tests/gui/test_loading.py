"""Opening folders and models: progress, Stop, skipped files, cache, bad models, closing mid-work."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from lookalike.gui.gallery.model import PATH_ROLE
from pytestqt.qtbot import QtBot

from lookalike.cli.main import build_parser
from tests.gui.conftest import LONG, MakeWindow, embedder_of, embeddings_of, open_folder
from tests.real_data import count_images


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_broken_files_are_listed_in_the_skipped_panel(
    qtbot: QtBot, make_window: MakeWindow, broken_folder: Path, cards_folder: Path
) -> None:
    before = _snapshot(broken_folder)
    window = make_window()
    open_folder(qtbot, window, broken_folder)
    skipped = {s.path: s.reason for s in window.skipped.skipped}
    assert set(skipped) == {"1_of_spades/truncated.jpg", "2_of_hearts/not_an_image.png", "empty.jpg"}
    assert "empty" in skipped["empty.jpg"]
    assert "not an image" in skipped["2_of_hearts/not_an_image.png"]
    table = window.skipped.table
    assert table.rowCount() == 3
    assert {item.text() for item in map(table.item, range(3), [0] * 3) if item} == set(skipped)
    assert window.tabs.tabText(window.tabs.indexOf(window.skipped)) == "Skipped files (3)"
    assert window.gallery.model.rowCount() == count_images(cards_folder)  # the scan went on
    assert _snapshot(broken_folder) == before  # nothing in the user's folder was written


def test_second_opening_comes_from_the_cache(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path
) -> None:
    window = make_window()
    with qtbot.waitSignal(window.controller.embedded, timeout=LONG) as first:
        window.open_folder(cards_folder)
    assert first.args[0].n_embedded == count_images(cards_folder)
    with qtbot.waitSignal(window.controller.embedded, timeout=LONG) as second:
        window.open_folder(cards_folder)
    assert second.args[0].n_cached == count_images(cards_folder)
    assert second.args[0].n_embedded == 0
    assert window.settings.recent_folders()[0] == str(cards_folder.resolve())


def test_status_bar_shows_model_provider_and_progress(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path
) -> None:
    window = make_window()
    assert window.status.provider_label.text() == f"Provider: {embedder_of(window).provider}"
    assert "test-projection" in window.status.model_label.text()
    seen: list[tuple[str, bool]] = []  # the status bar as it was when embedding progress came in

    def embedding(phase: str, *_: object) -> bool:
        seen.append((window.status.phase.text(), window.status.stop_button.isVisibleTo(window)))
        return phase == "embed"

    with qtbot.waitSignal(window.controller.progress, timeout=LONG, check_params_cb=embedding):
        window.open_folder(cards_folder)
    text, stop_visible = seen[-1]
    assert text.startswith("Embedding:")
    assert stop_visible
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=LONG)
    assert not window.status.stop_button.isVisibleTo(window)
    assert window.status.phase.text() == ""


def test_stop_during_embedding_keeps_what_was_done(
    qtbot: QtBot, make_window: MakeWindow, big_folder: Path
) -> None:
    window = make_window()
    stop = next(a for a in window.findChildren(type(window.menuBar().actions()[0])) if a.text() == "&Stop")
    assert stop.shortcut().toString() == "Esc"
    with qtbot.waitSignal(window.controller.progress, timeout=LONG):
        window.open_folder(big_folder)
    with qtbot.waitSignal(window.controller.embedded, timeout=LONG) as blocker:
        stop.trigger()
    result = blocker.args[0]
    assert result.cancelled
    assert len(result) < count_images(big_folder)
    assert window.gallery.model.rowCount() == len(result)


def test_opening_another_folder_mid_scan_wins(
    qtbot: QtBot, make_window: MakeWindow, big_folder: Path, cards_folder: Path
) -> None:
    window = make_window()
    with qtbot.waitSignal(window.controller.progress, timeout=LONG):
        window.open_folder(big_folder)
    open_folder(qtbot, window, cards_folder)
    assert embeddings_of(window).folder == cards_folder.resolve()
    assert len(embeddings_of(window)) == count_images(cards_folder)
    window.pool.pool.waitForDone(LONG)
    qtbot.wait(0)  # deliver the old job's queued signals: they must not replace the new folder
    assert embeddings_of(window).folder == cards_folder.resolve()


def test_closing_mid_work_leaves_no_thread(qtbot: QtBot, make_window: MakeWindow, big_folder: Path) -> None:
    window = make_window()
    with qtbot.waitSignal(window.controller.progress, timeout=LONG):
        window.open_folder(big_folder)
    window.close()
    assert window.pool.idle
    assert window.thumbs.workers.idle


@pytest.mark.parametrize("content", [b"", b"not an onnx model at all"])
def test_a_bad_model_gives_a_dialog_and_keeps_the_previous_one(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, cards_folder: Path, content: bytes
) -> None:
    window = make_window()
    good = window.session.embedder
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(content)
    with qtbot.waitSignal(window.error_shown, timeout=LONG) as blocker:
        window.open_model(bad)
    assert blocker.args[0] == "Cannot open model"
    assert "bad.onnx" in blocker.args[1]
    assert window.session.embedder is good
    open_folder(qtbot, window, cards_folder)  # still usable
    assert len(embeddings_of(window)) == count_images(cards_folder)


def test_gui_command_is_registered() -> None:
    args = build_parser().parse_args(["gui", "some/folder", "--model", "m.onnx"])
    assert isinstance(args, argparse.Namespace)
    assert args.folder == Path("some/folder")
    assert args.model == Path("m.onnx")
    assert args.func.__module__ == "lookalike.gui.command"


def test_the_folder_arrives_on_the_ui_thread_with_captions_and_classes_made(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the gallery's captions need (the shared file names) and the class list are made in the
    opening's worker: at 100,000 images each took the UI thread tens of ms as the folder came in."""
    window = make_window()
    made: list[set[str]] = []
    real = window.controller._embedded

    def arriving(result: object) -> None:
        made.append(set(vars(result)))
        real(result)  # type: ignore[arg-type]

    monkeypatch.setattr(window.controller, "_embedded", arriving)
    with qtbot.waitSignal(window.controller.embedded, timeout=LONG):
        window.open_folder(cards_folder)
    assert len(made) == 1
    assert {"shared_names", "class_names"} <= made[0]
    emb = embeddings_of(window)
    qtbot.waitUntil(lambda: window.gallery.model.complete, timeout=LONG)
    model = window.gallery.model
    for row in (0, len(emb) - 1):
        path = model.data(model.index(row), PATH_ROLE)
        assert path == str(emb.abs_path(row))
        assert Path(path).is_file()
    shown = [window.gallery.classes.itemText(i) for i in range(1, window.gallery.classes.count())]
    assert shown == sorted({lab for lab in emb.labels if lab is not None})
    assert len(shown) >= 2
