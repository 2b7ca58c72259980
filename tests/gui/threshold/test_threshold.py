"""Use 4: tune the match threshold; everything updates without re-embedding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.thresholds.summary import folder_pairs, summarize, threshold_for_far
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG, MakeWindow, embedder_of, embeddings_of, open_folder, select_and_wait
from tests.gui.drag_drop import drop_files


def test_moving_the_slider_updates_verdict_marks_and_counts(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path
) -> None:
    window = make_window()
    open_folder(qtbot, window, cards_folder)
    emb = embeddings_of(window)
    a = cards_folder / emb.paths[0]
    b = cards_folder / emb.paths[-1]
    with qtbot.waitSignal(window.compare.compared, timeout=LONG):
        drop_files(window.compare.zones["a"], [a])
        drop_files(window.compare.zones["b"], [b])
    select_and_wait(qtbot, window, [0])
    neighbours = window.neighbours.neighbours
    d = window.compare.distance
    assert d is not None
    middle = neighbours[len(neighbours) // 2].distance
    slider = window.threshold_bar.slider
    pairs = folder_pairs(emb.vectors, emb.labels)

    slider.setValue(slider.distance_to_value(min(d, middle) - 0.02))
    low = window.session.threshold
    assert window.compare.verdict.text() == "NO MATCH"
    assert not window.neighbours.neighbours[-1].match
    low_pairs = summarize(pairs, low).matching_pairs
    assert f"{low_pairs:,} matching pairs" in window.threshold_bar.summary.text()

    slider.setValue(slider.distance_to_value(max(d, middle) + 0.02))
    high = window.session.threshold
    assert high > low
    assert window.compare.verdict.text() == "MATCH"
    assert window.neighbours.neighbours[0].match
    assert sum(n.match for n in window.neighbours.neighbours) > 0
    high_pairs = summarize(pairs, high).matching_pairs
    assert high_pairs > low_pairs
    assert f"{high_pairs:,} matching pairs" in window.threshold_bar.summary.text()
    assert window.threshold_view.fields["pairs"].text() == f"{high_pairs:,}"
    stats = summarize(pairs, high).stats
    assert stats is not None
    assert window.threshold_view.fields["val"].text() == f"{stats.val:.3f}"
    assert window.threshold_view.fields["far"].text() == f"{stats.far:.2e}"
    assert window.threshold_view.roc.point == pytest.approx((stats.far, stats.val))
    assert embeddings_of(window) is emb  # nothing was re-embedded


def test_typed_value_and_target_far_set_the_threshold(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path
) -> None:
    window = make_window()
    open_folder(qtbot, window, cards_folder)
    bar = window.threshold_bar
    bar.spin.setValue(0.4321)
    assert window.session.threshold == pytest.approx(0.4321)
    assert bar.slider.value() == bar.slider.distance_to_value(0.4321)
    index = next(
        i for i in range(bar.far.count()) if bar.far.itemText(i).startswith("this folder: FAR ≤ 0.01 (")
    )
    assert index > 0
    bar.far.activated.emit(index)
    emb = embeddings_of(window)
    expected = threshold_for_far(folder_pairs(emb.vectors, emb.labels), 1e-2)
    assert window.session.threshold == pytest.approx(expected)
    summary = window.session.summary()
    assert summary is not None
    assert summary.stats is not None
    assert summary.stats.far <= 1e-2
    model_index = next(i for i in range(bar.far.count()) if bar.far.itemText(i).startswith("model: FAR 1e-3"))
    bar.far.activated.emit(model_index)
    assert window.session.threshold == pytest.approx(embedder_of(window).manifest.thresholds["far_1e-3"])
    assert np.isclose(
        sorted(bar.slider.marks.values())[0], embedder_of(window).manifest.thresholds["far_1e-3"]
    )


def test_threshold_is_remembered_per_model(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    settings = tmp_path / "remember.ini"
    first = make_window(settings)
    first.session.set_threshold(0.777)
    first.close()
    second = make_window(settings)
    assert second.session.threshold == pytest.approx(0.777)
