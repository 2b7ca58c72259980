"""The per-folder pair marks: stored outside the folder, unordered, undoable, exported and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lookalike.engine.errors import LookalikeError
from lookalike.engine.teaching.pair_marks import MarksError, PairMarks, marks_path, read_marks


def test_marks_persist_outside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    marks = PairMarks(folder)
    marks.mark("b.jpg", "a.jpg", is_match=False)
    marks.mark("c.jpg", "a.jpg", is_match=True)
    assert list(folder.iterdir()) == []
    assert marks.path == marks_path(folder)
    again = PairMarks(folder)
    assert again.verdict("a.jpg", "b.jpg") is False
    assert again.verdict("a.jpg", "c.jpg") is True
    assert again.verdict("b.jpg", "c.jpg") is None
    assert [(m.a, m.b, m.verdict) for m in again.marks()] == [
        ("a.jpg", "b.jpg", "not-match"),
        ("a.jpg", "c.jpg", "match"),
    ]


def test_remark_unmark_and_undo(tmp_path: Path) -> None:
    marks = PairMarks(tmp_path)
    marks.mark("x", "y", is_match=True)
    marks.mark("y", "x", is_match=False)
    assert len(marks) == 1
    assert marks.verdict("x", "y") is False
    marks.unmark("x", "y")
    assert marks.verdict("x", "y") is None
    assert marks.undo()
    assert marks.verdict("x", "y") is False
    assert marks.undo()
    assert marks.verdict("x", "y") is True
    assert marks.undo()
    assert marks.verdict("x", "y") is None
    assert not marks.undo()
    assert not marks.can_undo
    assert PairMarks(tmp_path).verdict("x", "y") is None  # the undo was saved too


def test_self_pair_refused(tmp_path: Path) -> None:
    with pytest.raises(MarksError):
        PairMarks(tmp_path).mark("a", "a", is_match=True)


@pytest.mark.parametrize("name", ["marks.json", "marks.csv"])
def test_export_reads_back(tmp_path: Path, name: str) -> None:
    (tmp_path / "photos").mkdir()
    marks = PairMarks(tmp_path / "photos")
    marks.mark("k/1.png", "q/2.png", is_match=False)
    marks.mark("k/1.png", "k/3.png", is_match=True)
    marks.mark("k/=HYPERLINK(1).png", "k/-3.png", is_match=True)  # formula-like names round-trip
    out = tmp_path / name
    marks.export(out)
    back = read_marks(out)
    assert [(m.a, m.b, m.is_match) for m in back] == [(m.a, m.b, m.is_match) for m in marks.marks()]


def test_a_bad_mark_is_dropped_and_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"marks": [{"a": "x", "b": "y", "verdict": "maybe"}]}))
    dropped: list[str] = []
    assert read_marks(bad, dropped) == []
    assert len(dropped) == 1
    assert "verdict" in dropped[0]


def test_a_file_that_is_not_marks_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"marks": "nope"}))
    with pytest.raises(MarksError, match=r"bad\.json is not a marks file"):
        read_marks(bad)


BAD_MARKS = [
    ({"a": "a.jpg", "b": "b.jpg", "verdict": "match", "created": 1e300}, "not a time"),
    ({"a": "a.jpg", "b": "b.jpg", "verdict": "match", "created": "nan"}, "not a time"),
    ({"a": "/etc/passwd", "b": "b.jpg", "verdict": "match", "created": 1.0}, "not a path inside"),
    ({"a": "../../secret.jpg", "b": "b.jpg", "verdict": "match", "created": 1.0}, "not a path inside"),
    ({"a": "k/../../x.jpg", "b": "b.jpg", "verdict": "match", "created": 1.0}, "not a path inside"),
    ({"a": "C:\\x.jpg", "b": "b.jpg", "verdict": "match", "created": 1.0}, "not a path inside"),
    ({"a": "a.jpg", "b": "a.jpg", "verdict": "match", "created": 1.0}, "against itself"),
]


@pytest.mark.parametrize(("row", "why"), BAD_MARKS)
def test_untrusted_marks_are_dropped_and_the_good_ones_kept(tmp_path: Path, row: dict, why: str) -> None:
    good = {"a": "c.jpg", "b": "d.jpg", "verdict": "not-match", "created": 2.0}
    path = tmp_path / "marks.json"
    path.write_text(json.dumps({"marks": [good, row]}))
    dropped: list[str] = []
    kept = read_marks(path, dropped)
    assert [(m.a, m.b) for m in kept] == [("c.jpg", "d.jpg")]
    assert len(dropped) == 1
    assert why in dropped[0]


def test_the_store_reports_what_it_dropped(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    store = marks_path(folder, tmp_path / "data")
    store.parent.mkdir(parents=True)
    store.write_text(json.dumps({"marks": [BAD_MARKS[0][0]]}))
    marks = PairMarks(folder, store)
    assert len(marks) == 0
    assert marks.marks() == []
    assert "not a time" in marks.dropped[0]


def test_a_deeply_nested_marks_file_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(MarksError, match=r"deep\.json is not a marks file"):
        read_marks(path)


def test_marks_export_never_lands_in_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "mine.csv").write_text("my own table\n")
    marks = PairMarks(folder, tmp_path / "store.json")
    marks.mark("a.jpg", "b.jpg", is_match=True)
    with pytest.raises(LookalikeError, match="inside the folder being read"):
        marks.export(folder / "mine.csv")
    assert (folder / "mine.csv").read_text() == "my own table\n"
