"""Exports written and parsed back, and `lookalike duplicates` as a subprocess (JSON and CSV)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.duplicates.listing import list_duplicates
from lookalike.engine.folder.embedding import FolderEmbeddings, embed_folder
from lookalike.engine.io.exports import (
    distance_matrix_table,
    duplicate_groups_table,
    matching_pairs_table,
    neighbours_table,
    write_export,
)
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.search.distances import distance_matrix
from lookalike.engine.search.neighbours import knn

from tests.duplicate_samples import EXACT, samples_with_duplicates

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> FolderEmbeddings:
    folder = samples_with_duplicates(tmp_path_factory.mktemp("exp") / "samples")
    cache = tmp_path_factory.mktemp("cache")  # module scope: before the per-test cache fixture
    return embed_folder(folder, Embedder(default_model_path(), device="cpu"), cache_dir=cache)


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_neighbours_export_round_trips(samples: FolderEmbeddings, tmp_path: Path) -> None:
    table = neighbours_table(samples, [3, 10], 4, 0.3)
    doc = json.loads(write_export(table, tmp_path / "n.json").read_text())
    rows = _read_csv(write_export(table, tmp_path / "n.csv"))
    assert rows[0] == ["query", "rank", "path", "distance", "match"]
    idx, dist = knn(samples.vectors, 4, queries=samples.vectors[[3, 10]], exclude_self=np.array([3, 10]))
    for n, q in enumerate((3, 10)):
        got = doc["neighbours"][samples.paths[q]]
        assert [g["path"] for g in got] == [samples.paths[j] for j in idx[n]]
        assert [g["distance"] for g in got] == pytest.approx(dist[n].tolist(), abs=1e-5)
        assert [g["match"] for g in got] == [bool(d < 0.3) for d in dist[n]]
        csv_rows = [r for r in rows[1:] if r[0] == samples.paths[q]]
        assert [r[2] for r in csv_rows] == [g["path"] for g in got]
        assert [float(r[3]) for r in csv_rows] == [g["distance"] for g in got]


def test_pairs_and_matrix_exports(samples: FolderEmbeddings, tmp_path: Path) -> None:
    t = 0.2
    doc = json.loads(write_export(matching_pairs_table(samples, t), tmp_path / "p.json").read_text())
    d = distance_matrix(samples.vectors)
    expected = {
        (samples.paths[i], samples.paths[j]) for i, j in zip(*np.nonzero(np.triu(d < t, 1)), strict=True)
    }
    assert {(p["a"], p["b"]) for p in doc["pairs"]} == expected
    assert doc["n_pairs"] == len(expected) > 0
    assert [p["distance"] for p in doc["pairs"]] == sorted(p["distance"] for p in doc["pairs"])
    rows = _read_csv(write_export(distance_matrix_table(samples, [0, 5, 9], t), tmp_path / "m.csv"))
    assert rows[0] == ["path", *(samples.paths[r] for r in (0, 5, 9))]
    matrix = np.array([[float(x) for x in r[1:]] for r in rows[1:]])
    np.testing.assert_allclose(matrix, d[np.ix_([0, 5, 9], [0, 5, 9])], atol=1e-5)
    with pytest.raises(ValueError, match=r"\.csv or \.json"):
        write_export(matching_pairs_table(samples, t), tmp_path / "p.txt")


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lookalike.cli.main", "duplicates", *map(str, args)],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_duplicates_command_lists_the_engine_groups(samples: FolderEmbeddings, tmp_path: Path) -> None:
    t = 0.15
    listing = list_duplicates(samples, t, rule="newest")
    assert listing is not None
    proc = _cli(samples.folder, "--threshold", t, "--keep", "newest", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [[im["path"] for im in g["images"]] for g in doc["groups"]] == [
        [f.rel_path for f in g.files] for g in listing.groups
    ]
    exact = next(g for g in doc["groups"] if {im["path"] for im in g["images"]} >= set(EXACT))
    assert exact["keep"] != EXACT[1]  # the copy is dated 2020: never the newest
    export = json.loads(write_export(duplicate_groups_table(listing), tmp_path / "g.json").read_text())
    assert export["groups"] == doc["groups"]
    proc = _cli(samples.folder, "--threshold", t, "--keep", "newest", "--csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["group", "path", "keep", "bytes", "width", "height", "modified"]
    assert len(rows) - 1 == listing_images(doc)
    assert _cli(samples.folder, "--json", "--csv").returncode == 2


def listing_images(doc: dict[str, list[dict[str, list[object]]]]) -> int:
    return sum(len(g["images"]) for g in doc["groups"])
