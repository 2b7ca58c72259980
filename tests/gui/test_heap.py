"""The collector pauses while a folder is read and what the opening made is frozen (gui.heap)."""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from types import ModuleType

import lookalike.gui.controller as controller_module
import lookalike.gui.duplicates.view as duplicates_view
import pytest
from lookalike.gui.heap import collection_paused
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG, MakeWindow, open_folder
from tests.gui.spies import record_calls


def _collector_state_in(monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str) -> list[bool]:
    """Whether automatic collection is on each time `module.name` is called (it then runs as usual)."""
    return record_calls(monkeypatch, module, name, gc.isenabled)


def test_overlapping_pauses_resume_collection_only_when_the_last_ends() -> None:
    assert gc.isenabled()
    first_in, second_done, first_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with collection_paused():
            first_in.set()
            second_done.wait(10)
            assert not gc.isenabled()  # the second opening ended; this one still runs
        first_out.set()

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(10)
    with collection_paused():
        assert not gc.isenabled()
    second_done.set()
    thread.join(10)
    assert first_out.is_set()
    assert gc.isenabled()


def test_what_a_pause_made_is_frozen_when_it_ends() -> None:
    """The first collection after a pause would walk everything the body made (~100 ms after a
    duplicates listing at 100,000 images): it is frozen instead."""
    gc.unfreeze()
    with collection_paused():
        made = [[i] for i in range(50_000)]
    try:
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(made)
    finally:
        gc.unfreeze()


def test_a_pause_ends_when_its_body_fails() -> None:
    try:
        with collection_paused():
            raise ValueError("a broken folder")
    except ValueError:
        pass
    assert gc.isenabled()


def test_opening_a_folder_pauses_collection_then_freezes_what_it_made(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window()
    enabled_while_reading = _collector_state_in(monkeypatch, controller_module, "embed_folder")
    gc.unfreeze()
    before = gc.get_freeze_count()
    open_folder(qtbot, window, cards_folder)
    assert enabled_while_reading == [False]
    assert gc.isenabled()
    assert gc.get_freeze_count() > before  # what the opening made: no longer walked by collections


def test_a_duplicates_listing_runs_with_collection_paused(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lookalike.engine.model.bundled import default_model_path

    from tests.duplicate_samples import samples_with_duplicates

    window = make_window(model=default_model_path())
    open_folder(qtbot, window, samples_with_duplicates(tmp_path / "photos"))
    enabled_while_listing = _collector_state_in(monkeypatch, duplicates_view, "list_duplicates")
    with qtbot.waitSignal(window.duplicates.listed, timeout=LONG):
        window.tabs.setCurrentWidget(window.duplicates)
    assert enabled_while_listing == [False]
    assert gc.isenabled()
