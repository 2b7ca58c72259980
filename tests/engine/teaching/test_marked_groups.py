"""Match marks make groups: unclassed images join a class or form marked-N; contradictions counted."""

from __future__ import annotations

from lookalike.engine.teaching.marked_groups import group_by_marks


def test_groups_join_classes_and_make_new_ones() -> None:
    labels = {"cat/1": "cat", "cat/2": "cat", "dog/1": "dog"}
    matches = [("x", "cat/1"), ("y", "z"), ("z", "w"), ("cat/2", "dog/1"), ("lone", "lone2")]
    grouped = group_by_marks(labels, matches, non_matches=[("x", "cat/2"), ("y", "w"), ("x", "y")])
    assert grouped.added == {"x": "cat", "y": "marked-1", "z": "marked-1", "w": "marked-1",
                             "lone": "marked-2", "lone2": "marked-2"}  # fmt: skip
    assert grouped.conflicts == 3  # cat/2 ~ dog/1, x ≁ cat/2 (both cat), y ≁ w (one group)


def test_a_group_never_merges_two_classes_through_a_chain() -> None:
    labels = {"a": "A", "b": "B"}
    grouped = group_by_marks(labels, [("a", "u"), ("u", "b")])
    assert grouped.added == {"u": "A"}
    assert grouped.conflicts == 1
