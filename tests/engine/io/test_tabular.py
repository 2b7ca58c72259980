"""The one table writer: formula-safe cells, valid UTF-8 for any file name, LF, every caller."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import pytest
from lookalike.engine.io.exports import ExportTable, write_export
from lookalike.engine.io.tabular import csv_text, read_cell, safe_cell, safe_text
from lookalike.engine.map.export import write_selection
from lookalike.engine.teaching.pair_marks import PairMarks, read_marks

DANGEROUS = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("name", DANGEROUS)
def test_a_cell_that_starts_like_a_formula_is_neutralised(name: str) -> None:
    assert safe_cell(name) == "'" + name
    assert read_cell(str(safe_cell(name))) == name


def test_numbers_and_ordinary_names_pass_unchanged() -> None:
    assert safe_cell(-0.5) == -0.5
    assert safe_cell("a/b.jpg") == "a/b.jpg"
    assert read_cell(str(safe_cell("'quoted.jpg"))) == "'quoted.jpg"  # an apostrophe round-trips


def test_undecodable_names_become_backslash_escapes_in_valid_utf8() -> None:
    name = os.fsdecode(b"caf\xe9/\xff.jpg") if sys.platform != "win32" else "caf\udce9/\udcff.jpg"
    assert safe_text(name) == "caf\\xe9/\\xff.jpg"
    text = csv_text(("path",), [(name,)])
    text.encode("utf-8")  # would raise on a lone surrogate
    assert text == "path\ncaf\\xe9/\\xff.jpg\n"


def test_a_carriage_return_inside_a_name_stays_in_its_row() -> None:
    text = csv_text(("a", "b"), [("x\ry", "z"), ("1,2", 'q"q')])
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["a", "b"], ["x\ry", "z"], ["1,2", 'q"q']]
    assert "\r\n" not in text


def _writers(tmp_path: Path, name: str) -> dict[str, Path]:
    """Every file writer of tables, each given the same hostile file name."""
    table = ExportTable(("path", "distance"), [(name, 0.5)], {"paths": [name]})
    marks = PairMarks(tmp_path / "folder", tmp_path / "store.json")
    marks.mark(name, "b.jpg", is_match=True)
    marks.export(tmp_path / "marks.csv")
    record = {"row": 0, "path": name, "class": "=cls", "x": 1.0, "y": 2.0}
    return {
        "export": write_export(table, tmp_path / "export.csv"),
        "map selection": write_selection([record], tmp_path / "lasso.csv"),
        "marks": tmp_path / "marks.csv",
        "export json": write_export(table, tmp_path / "export.json"),
    }


@pytest.mark.parametrize("name", ["=cmd|' /C calc'!A0.jpg", "@x.jpg", "-x.jpg", "+x.jpg"])
def test_every_csv_writer_neutralises_and_ends_lines_with_lf(tmp_path: Path, name: str) -> None:
    (tmp_path / "folder").mkdir()
    for what, path in _writers(tmp_path, name).items():
        data = path.read_bytes()
        data.decode("utf-8")
        assert b"\r\n" not in data, what
        if path.suffix == ".csv":
            cells = [c for row in csv.reader(io.StringIO(data.decode(), newline="")) for c in row]
            assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), what
        else:
            assert json.loads(data)["paths"] == [name]
    assert [m.a for m in read_marks(tmp_path / "marks.csv")] == [min(name, "b.jpg")]


def test_duplicates_csv_is_neutralised_and_matches_the_apps_export(tmp_path: Path) -> None:
    """`lookalike duplicates --csv` and File → Export → Duplicate groups write the same bytes."""
    import shutil
    import subprocess

    from lookalike.engine.duplicates.listing import list_duplicates
    from lookalike.engine.folder.embedding import embed_folder
    from lookalike.engine.io.exports import duplicate_groups_table
    from lookalike.engine.model.bundled import default_model_path
    from lookalike.engine.model.embedder import Embedder

    from tests.real_data import CARDS

    folder = tmp_path / "photos"
    folder.mkdir()
    first, other = sorted(CARDS.rglob("*.jpg"))[:1] + sorted(CARDS.rglob("*.jpg"))[-1:]
    for name in ("=evil.jpg", "-minus.jpg"):
        shutil.copyfile(first, folder / name)
    shutil.copyfile(other, folder / "other.jpg")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lookalike.cli.main",
            "duplicates",
            str(folder),
            "--threshold",
            "0.05",
            "--csv",
        ],
        capture_output=True,
        timeout=240,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    assert proc.returncode == 0, proc.stderr
    cells = [c for row in csv.reader(io.StringIO(proc.stdout.decode(), newline="")) for c in row]
    assert "'=evil.jpg" in cells
    assert "'-minus.jpg" in cells
    assert not any(c.startswith(("=", "-")) for c in cells)
    emb = embed_folder(folder, Embedder(default_model_path(), device="cpu"), cache_dir=tmp_path / "cache")
    listing = list_duplicates(emb, 0.05, rule="largest")
    assert listing is not None
    app = write_export(duplicate_groups_table(listing), tmp_path / "groups.csv").read_bytes()
    assert app.splitlines()[0] == proc.stdout.splitlines()[0]
    assert sorted(app.splitlines()[1:]) == sorted(proc.stdout.splitlines()[1:])
