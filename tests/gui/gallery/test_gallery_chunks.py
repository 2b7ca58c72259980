"""The gallery fills a large folder in chunks across event-loop turns, and filters as before."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lookalike.gui.gallery.model as gallery_module
import numpy as np
import pytest
from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.gui.app import freeze_startup_heap
from lookalike.gui.gallery.model import GalleryFilter, GalleryModel
from lookalike.gui.gallery.thumbnail_loader import ThumbnailLoader
from PySide6.QtCore import QObject, QSortFilterProxyModel
from pytestqt.qtbot import QtBot

from tests.gui.conftest import LONG

Gallery = tuple[GalleryModel, GalleryFilter]


def _folder(n: int, name: str = "img") -> FolderEmbeddings:
    paths = [f"c{i % 3}/{name}_{i:03d}.jpg" for i in range(n)]
    vectors = np.eye(n, 4, dtype=np.float32)
    return FolderEmbeddings(Path("/nowhere"), paths, [p.split("/")[0] for p in paths], vectors)


@pytest.fixture
def gallery(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gallery]:
    monkeypatch.setattr(gallery_module, "CHUNK_ROWS", 7)
    owner = QObject()
    model = GalleryModel(ThumbnailLoader(parent=owner), owner)
    proxy = GalleryFilter(owner)
    proxy.setSourceModel(model)
    yield model, proxy
    model.thumbs.shutdown()


def test_rows_arrive_in_chunks_and_end_complete(qtbot: QtBot, gallery: Gallery) -> None:
    model, proxy = gallery
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    with qtbot.waitSignal(model.loaded, timeout=LONG):
        model.set_embeddings(_folder(30))
        assert model.rowCount() == 7  # the first chunk at once, the rest on later turns
    assert inserted == [(0, 6), (7, 13), (14, 20), (21, 27), (28, 29)]
    assert model.rowCount() == proxy.rowCount() == 30
    assert model.index(29).data(gallery_module.PATH_ROLE) == str(Path("/nowhere/c2/img_029.jpg"))


def test_a_new_folder_mid_fill_replaces_the_old_one(qtbot: QtBot, gallery: Gallery) -> None:
    model, _ = gallery
    model.set_embeddings(_folder(30, "old"))
    with qtbot.waitSignal(model.loaded, timeout=LONG):
        model.set_embeddings(_folder(10, "new"))
    qtbot.waitUntil(lambda: model.complete, timeout=LONG)
    names = [model.index(r).data(gallery_module.REL_PATH_ROLE) for r in range(model.rowCount())]
    assert names == [f"c{i % 3}/new_{i:03d}.jpg" for i in range(10)]


def test_filters_work_on_chunked_rows(qtbot: QtBot, gallery: Gallery) -> None:
    model, proxy = gallery
    with qtbot.waitSignal(model.loaded, timeout=LONG):
        model.set_embeddings(_folder(30))
    proxy.set_filters("c1", "", None)
    assert proxy.rowCount() == 10
    proxy.set_filters("c1", "IMG_01", None)  # name filter ignores case
    assert [proxy.index(r, 0).data(gallery_module.ROW_ROLE) for r in range(proxy.rowCount())] == [
        10,
        13,
        16,
        19,
    ]
    proxy.set_filters(None, "", {2, 5, 29})
    assert proxy.rowCount() == 3


def test_startup_heap_is_frozen_out_of_collections() -> None:
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


def test_thumbnail_loads_start_after_the_paint_that_asked_for_them(qtbot: QtBot, image_data: Path) -> None:
    """A view asks for thumbnails while it paints; the pool jobs start on the next turn, together,
    so the paint is not slowed by starting threads (engine-free: the loader alone, real files)."""
    owner = QObject()
    loader = ThumbnailLoader(parent=owner)
    started: list[str] = []
    real_start = loader._request

    def counted(path: str) -> None:
        started.append(path)
        real_start(path)

    loader._request = counted  # type: ignore[method-assign]
    paths = [str(p) for p in sorted((image_data / "flags").rglob("*.png"))[:5]]
    assert len(paths) == 5
    try:
        with qtbot.waitSignals([loader.ready] * 5, timeout=LONG):
            assert all(loader.pixmap(p) is None for p in paths)
            assert all(loader.pixmap(p) is None for p in paths)  # asked twice, loaded once
            assert started == []  # nothing started inside the asking turn
        assert started == paths
        assert all(loader.pixmap(p) is not None for p in paths)
    finally:
        loader.shutdown()


def _filter_asks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows whose FILTER_ROLE the proxy asks the model for, in order."""
    asked: list[int] = []
    real = GalleryModel.data

    def data(self: GalleryModel, index: Any, role: int = 0) -> Any:
        if role == gallery_module.FILTER_ROLE:
            asked.append(index.row())
        return real(self, index, role)

    monkeypatch.setattr(GalleryModel, "data", data)
    return asked


def test_unfiltered_rows_arrive_without_python_per_row(
    qtbot: QtBot, gallery: Gallery, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While no filter is set, the proxy lets rows in by itself: a Python call per row waits for
    the GIL while a worker runs Python (1,000 rows: 140-200 ms instead of 1 ms)."""
    model, proxy = gallery
    asked = _filter_asks(monkeypatch)
    with qtbot.waitSignal(model.loaded, timeout=LONG):
        model.set_embeddings(_folder(30))
    assert proxy.rowCount() == 30
    assert asked == []
    assert GalleryFilter.filterAcceptsRow is QSortFilterProxyModel.filterAcceptsRow


def test_a_filter_asks_each_row_once_and_keeps_filtering_rows_that_arrive_later(
    qtbot: QtBot, gallery: Gallery, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, proxy = gallery
    asked = _filter_asks(monkeypatch)
    model.set_embeddings(_folder(30))  # the first chunk of 7 rows is in
    proxy.set_filters("c1", "", None)
    assert sorted(asked) == list(range(7))
    with qtbot.waitSignal(model.loaded, timeout=LONG):
        pass
    assert [proxy.index(r, 0).data(gallery_module.ROW_ROLE) for r in range(proxy.rowCount())] == list(
        range(1, 30, 3)
    )
    asked.clear()
    proxy.set_filters("c1", "img_01", None)  # another filter: each row asked once again
    assert sorted(asked) == list(range(30))
    assert proxy.rowCount() == 4
    proxy.set_filters(None, "", None)
    assert proxy.rowCount() == 30
