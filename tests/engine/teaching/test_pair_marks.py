"""The per-folder pair marks: stored outside the folder, unordered, undoable, exported and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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
    marks = PairMarks(tmp_path)
    marks.mark("k/1.png", "q/2.png", is_match=False)
    marks.mark("k/1.png", "k/3.png", is_match=True)
    out = tmp_path / name
    marks.export(out)
    back = read_marks(out)
    assert [(m.a, m.b, m.is_match) for m in back] == [(m.a, m.b, m.is_match) for m in marks.marks()]


def test_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"marks": [{"a": "x", "b": "y", "verdict": "maybe"}]}))
    with pytest.raises(MarksError, match="verdict"):
        read_marks(bad)
