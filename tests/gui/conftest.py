"""GUI fixtures: a real main window on a real model and real card images, checked for leftover threads."""

from __future__ import annotations

import gc
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.model.embedder import Embedder
from lookalike.gui.map.web_engine_env import configure_web_engine_env
from PySide6.QtCore import QSettings, QThreadPool
from pytestqt.qtbot import QtBot

configure_web_engine_env()
import PySide6.QtWebEngineWidgets  # noqa: E402, F401  (QtWebEngine must load before the QApplication)
from lookalike.gui.main_window import MainWindow  # noqa: E402

from tests.real_data import big_card_folder  # noqa: E402

CLASSES = ("1_of_spades", "2_of_hearts", "10_of_clubs", "king_of_diamonds", "queen_of_hearts")
PER_CLASS = 6
LONG = 60_000
MakeWindow = Callable[..., MainWindow]
BIG = 1500


@pytest.fixture(scope="session")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder big enough that a scan is still running when the test acts on it (real card files)."""
    return big_card_folder(tmp_path_factory.mktemp("big"), BIG)


@pytest.fixture(scope="session")
def cards_folder(tmp_path_factory: pytest.TempPathFactory, image_data: Path) -> Path:
    """Five card classes, six real images each (folder-per-class)."""
    root = tmp_path_factory.mktemp("cards")
    for name in CLASSES:
        (root / name).mkdir()
        for src in sorted((image_data / "cards" / name).iterdir())[:PER_CLASS]:
            shutil.copy2(src, root / name / src.name)
    return root


@pytest.fixture
def broken_folder(tmp_path: Path, cards_folder: Path) -> Path:
    """The card subset plus files that cannot be read."""
    root = tmp_path / "with_broken"
    shutil.copytree(cards_folder, root)
    (root / "1_of_spades" / "truncated.jpg").write_bytes(
        (root / "1_of_spades").iterdir().__next__().read_bytes()[:200]
    )
    (root / "2_of_hearts" / "not_an_image.png").write_text("hello, I am text")
    (root / "empty.jpg").write_bytes(b"")
    return root


@pytest.fixture
def make_window(qtbot: QtBot, tmp_path: Path, projection_model_path: Path) -> Iterator[MakeWindow]:
    """Build main windows with a loaded model; on teardown close them and check no thread is left."""
    windows: list[MainWindow] = []

    def make(settings_file: Path | None = None, model: Path | None = None) -> MainWindow:
        settings = QSettings(str(settings_file or tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        windows.append(window)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(window.session.model_changed, timeout=LONG):
            window.open_model(model or projection_model_path)
        return window

    yield make
    for window in windows:
        window.close()
        assert window.pool.idle, "a worker thread is still running after close"
        assert window.thumbs.workers.idle, "a thumbnail thread is still running after close"
        assert window.neighbours.jobs.idle, "a neighbours search is still running after close"
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    assert gc.isenabled(), "collection left paused (gui.heap)"
    gc.unfreeze()  # the app freezes what a folder's opening made; one test's objects, not the next's


def open_folder(qtbot: QtBot, window: MainWindow, folder: Path) -> FolderEmbeddings:
    """Open a folder and wait until its embeddings and pair statistics are in the session."""
    with qtbot.waitSignal(
        window.session.pairs_changed, timeout=LONG, check_params_cb=lambda p: p is not None
    ):
        window.open_folder(folder)
    return embeddings_of(window)


def select_and_wait(qtbot: QtBot, window: MainWindow, rows: list[int]) -> None:
    """Select one image as the app does and wait for its neighbours (they come from a worker)."""
    with qtbot.waitSignal(window.neighbours.shown, timeout=LONG):
        window.session.select(rows)


def embeddings_of(window: MainWindow) -> FolderEmbeddings:
    """The window's folder embeddings, which a test has waited for."""
    assert window.session.embeddings is not None
    return window.session.embeddings


def embedder_of(window: MainWindow) -> Embedder:
    """The window's model, which make_window has loaded."""
    assert window.session.embedder is not None
    return window.session.embedder
