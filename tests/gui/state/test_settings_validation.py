"""A damaged or hand-edited settings file: every bad value is ignored, never used or saved back."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder
from lookalike.gui.main_window import MainWindow
from lookalike.gui.state.app_settings import AppSettings
from lookalike.gui.state.remembered_state import start_window
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG

BAD_THRESHOLDS = ["nan", "inf", "-inf", "-0.5", "2.5", "1e300", "abc", ""]


@pytest.mark.parametrize("text", BAD_THRESHOLDS)
def test_a_bad_remembered_threshold_is_ignored(tmp_path: Path, text: str) -> None:
    ini = tmp_path / "s.ini"
    ini.write_text(f"[threshold]\n0123456789abcdef={text}\n")
    settings = AppSettings(QSettings(str(ini), QSettings.Format.IniFormat))
    assert settings.threshold("0123456789abcdef" + "0" * 48) is None


def test_a_nan_threshold_is_never_saved(tmp_path: Path) -> None:
    ini = tmp_path / "s.ini"
    settings = AppSettings(QSettings(str(ini), QSettings.Format.IniFormat))
    settings.set_threshold("a" * 64, 0.4)
    settings.set_threshold("a" * 64, math.nan)
    settings.sync()
    assert settings.threshold("a" * 64) == 0.4


def test_a_hostile_settings_file_opens_a_sane_window(qtbot: QtBot, tmp_path: Path) -> None:
    sha = Embedder(default_model_path(), device="cpu").sha256
    ini = tmp_path / "settings.ini"
    ini.write_text(
        f"[threshold]\n{sha[:16]}=nan\n"
        "[state]\nk=99999999999999999999\ntab=-1\nsplitter=nan, inf\nfolder=/no\\0where\n"
        "[General]\nrecent_folders=\n"
    )
    window = MainWindow(QSettings(str(ini), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(
        window.session.pairs_changed, timeout=LONG, check_params_cb=lambda p: p is not None
    ):
        start_window(window, None, None)
    assert window.last_error is None
    assert math.isfinite(window.session.threshold)
    assert window.session.embedder is not None
    assert window.session.threshold == pytest.approx(window.session.embedder.manifest.default_threshold)
    assert 1 <= window.neighbours.k.value() <= window.neighbours.k.maximum()
    window.session.set_threshold(math.nan)  # nothing may set NaN, not even a view
    assert math.isfinite(window.session.threshold)
    window.close()
    saved = QSettings(str(ini), QSettings.Format.IniFormat)
    assert str(saved.value(f"threshold/{sha[:16]}")).lower() != "nan"


def test_remembered_models_are_plain_existing_paths(tmp_path: Path) -> None:
    from lookalike.gui.state.model_history import ModelHistory
    from lookalike.gui.state.session import Session

    ini = tmp_path / "s.ini"
    qs = QSettings(str(ini), QSettings.Format.IniFormat)
    model = default_model_path()
    junk = ["/no\0where.onnx", 12, str(tmp_path / "gone.onnx")]
    qs.setValue("recent_models", [str(model)] * 20 + junk)
    assert ModelHistory(Session(), qs).recent() == [str(model)]
