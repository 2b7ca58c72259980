"""Use 2: browse a folder's nearest neighbours from the gallery."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.search.distances import distance_matrix
from lookalike.engine.search.neighbours import knn
from lookalike.engine.search.vector_search import VectorSearch, search_of
from lookalike.gui.main_window import MainWindow
from lookalike.gui.neighbours import view as neighbours_view
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from tests.gui.conftest import CLASSES, LONG, PER_CLASS, MakeWindow, embeddings_of, open_folder


def _click_row(qtbot: QtBot, window: MainWindow, row: int) -> None:
    view = window.gallery.list
    idx = window.gallery.proxy.mapFromSource(window.gallery.model.index(row))
    view.scrollTo(idx)
    with qtbot.waitSignal(window.neighbours.shown, timeout=LONG):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(idx).center())


def test_selecting_an_image_lists_its_neighbours_like_the_engine(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path
) -> None:
    window = make_window()
    open_folder(qtbot, window, cards_folder)
    emb = embeddings_of(window)
    assert window.gallery.model.rowCount() == len(CLASSES) * PER_CLASS
    _click_row(qtbot, window, 7)
    assert window.session.selection == [7]
    k = window.neighbours.k.value()
    idx, dist = knn(emb.vectors, k, queries=emb.vectors[7:8], exclude_self=np.array([7]))
    shown = window.neighbours.neighbours
    assert [n.row for n in shown] == idx[0].tolist()
    assert [n.distance for n in shown] == pytest.approx(dist[0].tolist(), abs=1e-5)
    assert all(a.distance <= b.distance for a, b in itertools.pairwise(shown))
    assert window.neighbours.list.count() == k
    for n in shown:
        assert n.other_class == (emb.labels[n.row] != emb.labels[7])
        assert n.match == (n.distance < window.session.threshold)
    assert emb.paths[7] in window.neighbours.title.text()


def test_arrow_keys_move_through_the_gallery(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path
) -> None:
    window = make_window()
    open_folder(qtbot, window, cards_folder)
    _click_row(qtbot, window, 0)
    with qtbot.waitSignal(window.neighbours.shown, timeout=LONG):
        qtbot.keyClick(window.gallery.list, Qt.Key.Key_Right)
    assert window.session.selection == [1]
    assert window.neighbours.title.text().endswith(f"(class {embeddings_of(window).labels[1]})")


def test_the_answer_comes_from_a_worker_and_a_stale_one_is_dropped(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window()
    open_folder(qtbot, window, cards_folder)
    emb = embeddings_of(window)
    gate, searching, threads = threading.Event(), threading.Event(), []

    def held_search(embeddings: object, wait: bool = True) -> VectorSearch:
        threads.append(threading.current_thread())
        searching.set()
        assert gate.wait(LONG / 1000)  # the first query waits until a newer selection is made
        return search_of(embeddings, wait)

    monkeypatch.setattr(neighbours_view, "search_of", held_search)
    k = window.neighbours.k.value()
    want = {row: knn(emb.vectors, k, emb.vectors[[row]], np.array([row]))[0][0].tolist() for row in (3, 11)}
    assert want[3] != want[11]
    answers: list[list[int]] = []  # each answer the list showed
    window.neighbours.shown.connect(lambda: answers.append([n.row for n in window.neighbours.neighbours]))
    window.session.select([3])
    assert window.neighbours.neighbours == []  # nothing searched on the UI thread
    qtbot.waitUntil(searching.is_set, timeout=LONG)
    window.session.select([11])
    gate.set()
    # One search thread: the first answer is emitted, and queued, before the second search starts,
    # so by the time the newest answer is shown the stale one has been delivered (and ignored).
    qtbot.waitUntil(lambda: answers != [], timeout=LONG)
    assert answers == [want[11]]
    assert len(threads) == 2
    assert threading.main_thread() not in threads


def test_several_selected_show_a_distance_heat_map(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path
) -> None:
    window = make_window()
    open_folder(qtbot, window, cards_folder)
    rows = [0, 5, 6, 20]
    sel = window.gallery.list.selectionModel()
    for r in rows:
        idx = window.gallery.proxy.mapFromSource(window.gallery.model.index(r))
        sel.select(idx, QItemSelectionModel.SelectionFlag.Select)
    assert sorted(window.session.selection) == rows
    heat = window.neighbours.heatmap
    assert window.neighbours.stack.currentWidget() is heat
    expected = distance_matrix(embeddings_of(window).vectors[sorted(window.session.selection)])
    order = np.argsort(window.session.selection)
    np.testing.assert_allclose(heat.matrix[np.ix_(order, order)], expected, atol=1e-5)
    before = heat.matches()
    window.session.set_threshold(float(expected.max()) + 0.01)
    assert heat.matches() == 6
    assert heat.matches() >= before


def test_filters_by_class_and_name(qtbot: QtBot, make_window: MakeWindow, cards_folder: Path) -> None:
    window = make_window()
    open_folder(qtbot, window, cards_folder)
    gallery = window.gallery
    gallery.classes.setCurrentText("2_of_hearts")
    assert gallery.proxy.rowCount() == PER_CLASS
    labels = {
        gallery.proxy.index(i, 0).data(Qt.ItemDataRole.UserRole + 1) for i in range(gallery.proxy.rowCount())
    }
    assert labels == {"2_of_hearts"}
    name = embeddings_of(window).paths[0].rsplit("/", 1)[-1][:8]
    gallery.classes.setCurrentIndex(0)
    gallery.name_filter.setText(name)
    expected = sum(name.lower() in p.lower() for p in embeddings_of(window).paths)
    assert gallery.proxy.rowCount() == expected
    assert 0 < expected < len(embeddings_of(window))


def test_a_click_is_answered_while_a_big_folders_index_is_still_being_built(
    qtbot: QtBot, make_window: MakeWindow, cards_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a big folder starts its FAISS index in a thread of its own; the first click does not
    wait for it (at 100,000 images, 3-5 s: what the window waited for last before it was usable)
    but is answered by exact search, the same neighbours."""
    from lookalike.engine.search import vector_search

    monkeypatch.setattr(neighbours_view, "FAISS_ABOVE", 10)  # the suite's folder counts as big
    monkeypatch.setattr(vector_search, "FAISS_ABOVE", 10)
    building, release = threading.Event(), threading.Event()
    real = vector_search.searcher_for

    def held_build(vectors: np.ndarray) -> VectorSearch:
        building.set()
        assert release.wait(LONG / 1000)
        return real(vectors)

    monkeypatch.setattr(vector_search, "searcher_for", held_build)
    window = make_window()
    try:
        open_folder(qtbot, window, cards_folder)
        qtbot.waitUntil(building.is_set, timeout=LONG)  # the opening started the index
        emb = embeddings_of(window)
        k = window.neighbours.k.value()
        with qtbot.waitSignal(window.neighbours.shown, timeout=LONG):
            window.session.select([5])
        want, _ = knn(emb.vectors, k, queries=emb.vectors[5:6], exclude_self=np.array([5]))
        assert [n.row for n in window.neighbours.neighbours] == want[0].tolist()
        assert not release.is_set()  # answered while the index was still being built
    finally:
        release.set()
    qtbot.waitUntil(lambda: window.neighbours.index_jobs.idle, timeout=LONG)
    assert getattr(emb, "_search", None) is not None  # the index was built, and kept for later
