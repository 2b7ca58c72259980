"""Thresholds that mean something: the default is a FAR point (and says so), the folder's own best-F1
and FAR thresholds arrive in the background, and precision is shown wherever a threshold is."""

from __future__ import annotations

from pathlib import Path

import pytest
from lookalike.engine.metrics.verification import threshold_stats
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.thresholds.folder import best_f1_threshold
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG, MakeWindow, embedder_of, embeddings_of, open_folder
from tests.gui.samples import copy_samples


def test_default_is_a_far_point_and_folder_thresholds_come_with_precision(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window(model=default_model_path())
    manifest = embedder_of(window).manifest
    choice = manifest.default_choice
    assert choice.key.startswith("far_")
    assert window.session.threshold == pytest.approx(choice.value)
    bar = window.threshold_bar
    assert "duplicate" in manifest.thresholds  # the bundled model has "same picture" thresholds…
    assert set(bar.slider.marks) == {k for k in manifest.thresholds if not k.startswith("duplicate")}
    assert not any("duplicate" in bar.far.itemText(i) for i in range(bar.far.count()))  # …not here
    assert "default: FAR" in bar.source.text()
    assert "calibration precision" in bar.summary.text()  # no folder yet: the model's own figure
    default_item = next(
        bar.far.itemText(i) for i in range(bar.far.count()) if "default" in bar.far.itemText(i)
    )
    assert "calibration precision" in default_item

    with qtbot.waitSignal(window.session.folder_thresholds_changed, timeout=LONG):
        open_folder(qtbot, window, copy_samples(tmp_path / "samples"))
    pairs = window.session.pairs
    assert pairs is not None
    labelled = pairs.labelled
    assert labelled is not None
    at_default = threshold_stats(labelled, window.session.threshold)
    assert f"precision {at_default.precision:.2f}" in bar.summary.text()
    assert f"VAL {at_default.val:.2f}" in bar.summary.text()
    view = window.threshold_view
    assert view.fields["precision"].text() == f"{at_default.precision:.3f}"
    shown_choice = window.session.default_choice()
    assert shown_choice is not None
    assert shown_choice.label.split(" (")[0] in view.fields["source"].text()
    assert "false-accept-rate point" in view.choices.text()

    best = best_f1_threshold(labelled)
    bar.choose("this folder: best F1")
    assert window.session.threshold == pytest.approx(best)
    assert bar.source.text() == "(this folder's best F1)"
    st = threshold_stats(labelled, best)
    assert f"best F1: {best:.4f} — precision {st.precision:.3f}" in view.choices.text()
    assert view.fields["precision"].text() == f"{st.precision:.3f}"
    bar.spin.setValue(0.7777)
    assert bar.source.text() == "(custom)"

    emb = embeddings_of(window)
    with qtbot.waitSignal(window.compare.compared, timeout=LONG):
        window.compare.load("a", emb.abs_path(0))
        window.compare.load("b", emb.abs_path(1))
    qtbot.waitUntil(lambda: window.compare.distance is not None, timeout=LONG)
    st = threshold_stats(labelled, 0.7777)
    assert f"precision {st.precision:.2f} on this folder" in window.compare.distance_label.text()
