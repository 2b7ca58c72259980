"""Teaching can continue the current model: the dialog offers it for a hybrid model, the training
child really starts from it, and a model that cannot be continued is not offered."""

from __future__ import annotations

from pathlib import Path

from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder
from lookalike.gui.main_window import MainWindow
from lookalike.gui.teaching.dialog import START_FRESH, TeachDialog
from pytestqt.qtbot import QtBot

from tests.gui.conftest import MakeWindow, open_folder
from tests.gui.teaching.conftest import TEACH_TIMEOUT, open_dialog

SMALL_RUN = "--epochs 1 --val-classes 3 --batch-classes 4 --batch-images 2 --device cpu --threads 1"


def _dialog(qtbot: QtBot, window: MainWindow) -> TeachDialog:
    """The dialog as it opens (its own backbone: continuing needs the hybrid the model was made with)."""
    return open_dialog(qtbot, window, small_network=False)


def test_a_teach_can_continue_the_current_model(
    qtbot: QtBot, make_window: MakeWindow, samples: Path, tmp_path: Path
) -> None:
    bundled = default_model_path()
    window = make_window(model=bundled)
    open_folder(qtbot, window, samples)
    dialog = _dialog(qtbot, window)
    texts = [dialog.start_from.itemText(i) for i in range(dialog.start_from.count())]
    assert dialog.start_from.isEnabled()
    assert texts == [f"the current model ({bundled.name}): continue it", START_FRESH]
    dialog.start_from.setCurrentIndex(0)
    dialog.extra.setText(SMALL_RUN)
    plan = dialog.plan()
    assert plan.extra_args[:2] == ("--start-from", str(bundled))
    dialog.backbone.setCurrentText("compact")  # a network from scratch has nothing to continue
    assert "--start-from" not in dialog.plan().extra_args
    dialog.backbone.setCurrentIndex(0)
    dialog.start_from.setCurrentIndex(1)
    assert "--start-from" not in dialog.plan().extra_args

    dialog.start_from.setCurrentIndex(0)
    dialog.save_to.setText(str(tmp_path / "continued.onnx"))
    logged: list[str] = []
    window.teacher.status.connect(logged.append)
    with qtbot.waitSignal(window.teacher.finished, timeout=TEACH_TIMEOUT) as done:
        dialog.start_button.click()
    result = done.args[0]
    assert any(line.startswith("started from ") for line in logged), logged
    taught = Embedder(result.model)
    assert taught.manifest.training["config"]["start_from"] == str(bundled)
    assert taught.dim == Embedder(bundled).dim
    dialog.close()


def test_a_model_that_cannot_be_continued_is_not_offered(
    qtbot: QtBot, make_window: MakeWindow, samples: Path
) -> None:
    window = make_window()  # the suite's small projection model: not a hybrid
    open_folder(qtbot, window, samples)
    dialog = _dialog(qtbot, window)
    assert [dialog.start_from.itemText(i) for i in range(dialog.start_from.count())] == [START_FRESH]
    assert not dialog.start_from.isEnabled()
    assert "--start-from" not in dialog.plan().extra_args
    dialog.close()
