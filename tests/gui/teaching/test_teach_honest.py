"""Teaching says plainly whether the taught model is better, and never makes a worse one the default."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.teaching.teach_run import TeachPlan
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import MakeWindow, open_folder
from tests.gui.teaching.conftest import TEACH_TIMEOUT, TINY, open_dialog

HELD_OUT = ("flag_de", "8_of_spades", "1_of_clubs")

# A stand-in for `lookalike train --progress-json`: the same JSON lines, an early stop, and as the
# "taught" model a copy of the bundled one (far better than the weak projection model it starts from).
FAKE_TRAIN = """
import json, shutil, sys, time
run_dir, model, *held_out = sys.argv[1:]
def say(**event):
    print(json.dumps(event), flush=True)
say(event="log", message="loading images")
say(event="split", train=["flag_it", "flag_jm", "flag_kr", "10_of_hearts", "5_of_diamonds"], val=held_out)
for epoch in (1, 2, 3):
    say(event="epoch", epoch=epoch, precision_at_1=0.5, mean_average_precision_at_r=0.4, images_per_s=90.0)
say(event="log", message="early stop: no MAP@R gain for 2 epochs (best epoch 1)")
shutil.copy(model, run_dir + "/model.onnx")
say(event="log", message="exported " + run_dir + "/model.onnx")
say(event="done", model=run_dir + "/model.onnx", best_epoch=1, images_per_s=90.0)
"""


def test_a_worse_model_is_called_worse_and_the_starting_model_stays(
    qtbot: QtBot, make_window: MakeWindow, samples: Path, tmp_path: Path
) -> None:
    start_model = default_model_path()
    window = make_window(model=start_model)
    open_folder(qtbot, window, samples)
    dialog = open_dialog(qtbot, window)
    dialog.minutes.setValue(0.5)
    dialog.extra.setText(TINY)  # a one-epoch 8-wide network from scratch: worse than the bundled model
    dialog.save_to.setText(str(tmp_path / "taught.onnx"))
    with qtbot.waitSignal(window.teacher.finished, timeout=TEACH_TIMEOUT) as done:
        dialog.start_button.click()
    result = done.args[0]
    assert result.before is not None
    assert result.after is not None
    assert result.after.n_images == result.before.n_images  # the same held-out images
    assert result.after.map_at_r < result.before.map_at_r  # the premise of this test

    verdict = dialog.verdict.text()  # worse on both figures, or worse on MAP@R and not on p@1
    assert "WORSE" in verdict or "better on one figure and worse on the other" in verdict
    assert "starting model stays in use" in dialog.verdict.text()
    assert f"{result.before.map_at_r:.3f} → {result.after.map_at_r:.3f}" in dialog.verdict.text()
    assert dialog.keep_button.isVisible()
    assert dialog.keep_button.isDefault()
    assert not dialog.switch_button.isDefault()
    assert dialog.switch_button.text() == "Use the taught model anyway"
    assert dialog.elapsed.value() == dialog.elapsed.maximum()  # the bar ends at what really ran
    assert dialog.elapsed.text().startswith("ran ")
    assert "of the 30 s budget" in dialog.elapsed.text()
    assert dialog.ended.text() == "Training ended: every epoch asked for ran"

    models: list[Any] = []
    window.session.model_changed.connect(models.append)
    QTest.keyClick(dialog, Qt.Key.Key_Return)  # the default action
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert models == []
    assert window.session.embedder is not None
    assert window.session.embedder.path == start_model


def test_a_better_model_is_the_default_and_the_early_stop_stays_visible(
    qtbot: QtBot,
    make_window: MakeWindow,
    samples: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = tmp_path / "fake_train.py"
    script.write_text(FAKE_TRAIN)

    def fake_command(plan: TeachPlan) -> list[str]:
        return [sys.executable, str(script), str(plan.run_dir), str(default_model_path()), *HELD_OUT]

    import lookalike.engine.teaching.teach_run as teach_run
    import lookalike.gui.teaching.teacher as teacher

    threads: list[threading.Thread] = []

    def before_figures(*args: Any) -> Any:
        threads.append(threading.current_thread())
        return teach_run.before_figures(*args)

    monkeypatch.setattr(teacher, "teach_command", fake_command)
    monkeypatch.setattr(teacher, "before_figures", before_figures)
    window = make_window()  # the weak projection model
    open_folder(qtbot, window, samples)
    dialog = open_dialog(qtbot, window)
    dialog.save_to.setText(str(tmp_path / "taught.onnx"))
    with qtbot.waitSignal(window.teacher.finished, timeout=TEACH_TIMEOUT) as done:
        dialog.start_button.click()
    result = done.args[0]
    assert result.held_out == HELD_OUT
    assert result.after is not None
    assert result.before is not None
    assert result.after.map_at_r > result.before.map_at_r
    assert threads
    assert threading.main_thread() not in threads  # the k-NN over held-out images ran in a worker

    assert dialog.verdict.text().startswith("The taught model is better")
    assert dialog.switch_button.isDefault()
    assert not dialog.keep_button.isVisible()
    assert dialog.ended.text() == "Training ended: early stop: no MAP@R gain for 2 epochs (best epoch 1)"
    assert dialog.status.text() == "Done"  # a later status does not hide why training ended
    assert dialog.elapsed.value() == dialog.elapsed.maximum()
    assert dialog.table.rowCount() == 4  # the starting model and three epochs

    with qtbot.waitSignal(window.session.model_changed, timeout=60_000):
        QTest.keyClick(dialog, Qt.Key.Key_Return)
    assert window.session.embedder is not None
    assert window.session.embedder.path == tmp_path / "taught.onnx"
    dialog.close()
