"""Teach the model from the real window: child process, before/after, switch model, no torch here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.teaching.pair_marks import PairMarks
from lookalike.gui.main_window import MainWindow
from pytestqt.qtbot import QtBot

from tests.gui.conftest import MakeWindow, open_folder, select_and_wait
from tests.gui.teaching.conftest import TEACH_TIMEOUT, TINY, open_dialog


def _neighbour_distances(qtbot: QtBot, window: MainWindow) -> list[tuple[int, float]]:
    window.session.select([])
    select_and_wait(qtbot, window, [0])
    return [(n.row, round(n.distance, 4)) for n in window.neighbours.neighbours]


def test_teach_switch_and_back(qtbot: QtBot, make_window: MakeWindow, samples: Path, tmp_path: Path) -> None:
    torch_already = "torch" in sys.modules  # another package's tests may have loaded it
    window = make_window(model=default_model_path())
    open_folder(qtbot, window, samples)
    select_and_wait(qtbot, window, [0])
    window.neighbours.mark_neighbour(0, is_match=False)  # the teach run gets a marks file
    before_neighbours = _neighbour_distances(qtbot, window)

    dialog = open_dialog(qtbot, window)
    assert dialog.marks_file == PairMarks(samples).path
    dialog.minutes.setValue(0.5)
    dialog.extra.setText(TINY)
    dialog.save_to.setText(str(tmp_path / "mine" / "taught.onnx"))
    with qtbot.waitSignal(window.teacher.finished, timeout=TEACH_TIMEOUT) as done:
        dialog.start_button.click()
    result = done.args[0]
    assert result.model == tmp_path / "mine" / "taught.onnx"
    assert Embedder(result.model).manifest.preprocessing.input_size == 32  # an ordinary model file
    assert "taught model" in result.card.read_text()
    assert len(result.held_out) == 3
    assert result.before is not None
    assert result.after is not None
    emb = window.session.embeddings
    assert emb is not None
    held_out_images = sum(1 for lab in emb.labels if lab in result.held_out)
    assert result.before.n_images == result.after.n_images == held_out_images > 0
    assert dialog.table.rowCount() >= 2  # the starting model and at least one epoch
    assert f"{result.after.precision_at_1:.3f}" in dialog.outcome.text()
    assert f"{result.before.precision_at_1:.3f}" in dialog.outcome.text()

    with qtbot.waitSignal(window.session.pairs_changed, timeout=60_000, check_params_cb=lambda p: p):
        dialog.switch_button.click()
    assert window.session.embedder is not None
    assert window.session.embedder.path == result.model
    assert _neighbour_distances(qtbot, window) != before_neighbours
    assert window.models.previous() == str(default_model_path().resolve())
    with qtbot.waitSignal(window.session.pairs_changed, timeout=60_000, check_params_cb=lambda p: p):
        window.teaching.previous_model()
    assert _neighbour_distances(qtbot, window) == before_neighbours
    dialog.close()

    if not torch_already:
        assert "torch" not in sys.modules
    else:  # the same check in a fresh interpreter that loads every module of the teach flow
        modules = "lookalike.gui.main_window, lookalike.gui.teaching.teacher"
        code = f"import sys, {modules}; print('torch' in sys.modules)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "False"


def test_stop_keeps_the_best_epoch_so_far(
    qtbot: QtBot, make_window: MakeWindow, samples: Path, tmp_path: Path
) -> None:
    window = make_window()
    open_folder(qtbot, window, samples)
    dialog = open_dialog(qtbot, window)
    dialog.minutes.setValue(30.0)
    dialog.extra.setText(TINY.replace("--epochs 1", "--epochs 500 --patience 500"))
    dialog.save_to.setText(str(tmp_path / "stopped.onnx"))
    with qtbot.waitSignal(window.teacher.epoch, timeout=TEACH_TIMEOUT):
        dialog.start_button.click()
    with qtbot.waitSignal(window.teacher.finished, timeout=TEACH_TIMEOUT) as done:
        dialog.stop_button.click()
    result = done.args[0]
    assert result.stopped
    assert result.after is not None
    assert Embedder(result.model).dim == 16
    assert "stopped early" in dialog.outcome.text()
    dialog.close()
