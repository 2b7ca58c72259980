"""Gallery captions name the class only where the file name is shared."""

from __future__ import annotations

from lookalike.engine.folder.captions import captions, shared_names


def test_shared_names_get_their_class() -> None:
    paths = ["flag_de/noto.png", "flag_it/noto.png", "flag_it/unique.png", "loose/noto.png"]
    labels = ["flag_de", "flag_it", "flag_it", None]
    assert captions(paths, labels) == ["noto.png\nflag_de", "noto.png\nflag_it", "unique.png", "noto.png"]


def test_shared_names_are_the_names_more_than_one_path_has() -> None:
    paths = ["a/noto.png", "b/noto.png", "a/é.png", "b/e\u0301.png", "c/\udcff.png", "d/\udcff.png", "x.png"]
    assert shared_names(paths) == {"noto.png", "\udcff.png"}  # é and e + accent are different names
    assert shared_names([]) == frozenset()
