"""What the teaching tests share: the copied samples, the tiny training options, opening the dialog."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lookalike.engine.model.bundled import sample_folder
from lookalike.gui.main_window import MainWindow
from lookalike.gui.teaching.dialog import TeachDialog
from pytestqt.qtbot import QtBot

TINY = (
    "--epochs 1 --val-classes 3 --image-size 32 --width 8 --dim 16 "
    "--batch-classes 4 --batch-images 2 --device cpu --threads 1"
)
TEACH_TIMEOUT = 240_000


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """The bundled samples (8 classes × 7 real images) copied, so nothing is written beside them."""
    folder = tmp_path / "samples"
    shutil.copytree(sample_folder(), folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


def open_dialog(qtbot: QtBot, window: MainWindow, small_network: bool = True) -> TeachDialog:
    """Work → Teach, once the dialog has read the train options; with `small_network`, the small
    network where the pretrained backbone exists (issue 14), so a teach run takes seconds."""
    dialog = window.teaching.teach()
    assert dialog is not None
    with qtbot.waitSignal(dialog.options_read, timeout=60_000) as read:
        pass
    if small_network and "compact" in read.args[0]:
        dialog.backbone.setCurrentText("compact")
    return dialog
