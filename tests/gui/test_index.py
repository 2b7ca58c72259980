"""Use: open an index (made by `lookalike index`) in the app like a folder: FAISS neighbours,
thumbnails from the original files, a placeholder where a file is gone, another model refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

pytest.importorskip("faiss")
pytest.importorskip("pyarrow")

from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.index.build import write_index
from lookalike.engine.index.reader import IndexEmbeddings
from lookalike.engine.model.bundled import sample_folder
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.search.neighbours import knn

from tests.gui.conftest import LONG, MakeWindow, open_folder, select_and_wait


@pytest.fixture
def index_dir(tmp_path: Path, projection_model_path: Path) -> Path:
    """An index of the bundled samples, made with the test model, in 3 shards."""
    src = tmp_path / "src"
    shutil.copytree(sample_folder(), src, ignore=shutil.ignore_patterns("*.md"))
    embedder = Embedder(projection_model_path, device="cpu")
    write_index(tmp_path / "ix", embed_folder(src, embedder), embedder, shard_rows=20)
    return tmp_path / "ix"


def test_an_index_opens_like_a_folder(qtbot: QtBot, make_window: MakeWindow, index_dir: Path) -> None:
    window = make_window()
    open_folder(qtbot, window, index_dir)
    emb = window.session.embeddings
    assert isinstance(emb, IndexEmbeddings)
    assert window.gallery.model.rowCount() == sum(
        1 for p in sample_folder().rglob("*") if p.is_file() and p.suffix != ".md"
    )
    select_and_wait(qtbot, window, [3])
    k = window.neighbours.k.value()
    want, _ = knn(emb.vectors, k, queries=emb.vectors[3:4], exclude_self=np.array([3]))
    assert [n.row for n in window.neighbours.neighbours] == want[0].tolist()
    gone = emb.abs_path(0)
    gone.unlink()  # the original moved away: the gallery shows a placeholder and says why
    window.thumbs.clear()
    model = window.gallery.model
    with qtbot.waitSignal(window.thumbs.failed, timeout=LONG) as blocker:
        shown = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert blocker.args[0] == str(gone)
    assert shown is window.thumbs.placeholder
    assert model.data(model.index(0), Qt.ItemDataRole.DecorationRole) is window.thumbs.placeholder


def test_an_index_of_another_model_is_refused_clearly(
    qtbot: QtBot, make_window: MakeWindow, index_dir: Path
) -> None:
    from lookalike.engine.model.bundled import default_model_path

    window = make_window(model=default_model_path())
    with qtbot.waitSignal(window.error_shown, timeout=LONG) as blocker:
        window.open_folder(index_dir)
    assert "was built with model" in blocker.args[1]
