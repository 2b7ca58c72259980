"""Use: File → Export through the real window; every file is parsed back and checked."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.duplicates.listing import listing_document
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.search.distances import distance_matrix
from lookalike.engine.search.neighbours import knn
from lookalike.gui.main_window import MainWindow
from pytestqt.qtbot import QtBot

from tests.duplicate_samples import samples_with_duplicates
from tests.gui.conftest import LONG, MakeWindow, embeddings_of, open_folder, select_and_wait
from tests.gui.duplicates.table_rows import file_rows, group_rows

THRESHOLD = 0.15


@pytest.fixture
def window(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    w = make_window(model=default_model_path())
    w.session.set_threshold(THRESHOLD)
    open_folder(qtbot, w, samples_with_duplicates(tmp_path / "photos"))
    return w


def _export(
    qtbot: QtBot, window: MainWindow, kind: str, target: Path, name_filter: str | None = None
) -> Path:
    window.exports.entries[kind].trigger()
    dialog = window.exports.dialog
    assert dialog is not None
    assert dialog.isVisible()
    if name_filter:
        dialog.selectNameFilter(name_filter)
    dialog.selectFile(str(target))
    with qtbot.waitSignal(window.exports.exported, timeout=LONG) as done:
        dialog.accept()
    return Path(done.args[0])


def _csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_neighbours_and_matrix_of_the_selection(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    emb = embeddings_of(window)
    select_and_wait(qtbot, window, [2])
    k = window.neighbours.k.value()
    out = _export(qtbot, window, "neighbours", tmp_path / "neighbours", "JSON (*.json)")
    assert out == tmp_path / "neighbours.json"  # the chosen filter adds the suffix
    doc = json.loads(out.read_text())
    idx, dist = knn(emb.vectors, k, queries=emb.vectors[[2]], exclude_self=np.array([2]))
    got = doc["neighbours"][emb.paths[2]]
    assert [g["path"] for g in got] == [emb.paths[j] for j in idx[0]]
    assert [g["distance"] for g in got] == pytest.approx(dist[0].tolist(), abs=1e-5)
    assert [g["path"] for g in got] == [emb.paths[n.row] for n in window.neighbours.neighbours]
    rows = [4, 9, 20]
    window.session.select(rows)
    rows_csv = _csv(_export(qtbot, window, "matrix", tmp_path / "heat.csv"))
    assert rows_csv[0] == ["path", *(emb.paths[r] for r in rows)]
    matrix = np.array([[float(x) for x in line[1:]] for line in rows_csv[1:]])
    np.testing.assert_allclose(matrix, window.neighbours.heatmap.matrix, atol=1e-5)
    np.testing.assert_allclose(matrix, distance_matrix(emb.vectors[rows]), atol=1e-5)


def test_matching_pairs_and_duplicate_groups(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    emb = embeddings_of(window)
    pairs = _csv(_export(qtbot, window, "pairs", tmp_path / "pairs.csv"))
    d = distance_matrix(emb.vectors)
    ii, jj = np.nonzero(np.triu(d < THRESHOLD, 1))
    assert pairs[0] == ["a", "b", "distance"]
    assert {(a, b) for a, b, _ in pairs[1:]} == {
        (emb.paths[i], emb.paths[j]) for i, j in zip(ii, jj, strict=True)
    }
    assert all(float(x) < THRESHOLD for _, _, x in pairs[1:])
    with qtbot.waitSignal(window.duplicates.listed, timeout=LONG):
        window.tabs.setCurrentWidget(window.duplicates)
    doc = json.loads(_export(qtbot, window, "duplicates", tmp_path / "groups.json").read_text())
    assert window.duplicates.listing is not None
    assert doc == json.loads(json.dumps(listing_document(window.duplicates.listing)))
    view = window.duplicates
    shown = [len(file_rows(view, top)) for top in group_rows(view)]
    assert [len(g["images"]) for g in doc["groups"]] == shown
    groups_csv = _csv(_export(qtbot, window, "duplicates", tmp_path / "groups.csv"))
    assert len(groups_csv) - 1 == sum(len(g["images"]) for g in doc["groups"])
    assert {r[1] for r in groups_csv[1:] if r[2] == "True"} == {g["keep"] for g in doc["groups"]}


def test_an_export_without_a_selection_says_why(qtbot: QtBot, window: MainWindow) -> None:
    window.session.select([])
    with qtbot.waitSignal(window.error_shown, timeout=LONG) as shown:
        window.exports.entries["matrix"].trigger()
    assert "at least two images" in shown.args[1]
