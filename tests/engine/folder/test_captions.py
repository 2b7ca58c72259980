"""Gallery captions name the class only where the file name is shared."""

from __future__ import annotations

from lookalike.engine.folder.captions import captions


def test_shared_names_get_their_class() -> None:
    paths = ["flag_de/noto.png", "flag_it/noto.png", "flag_it/unique.png", "loose/noto.png"]
    labels = ["flag_de", "flag_it", "flag_it", None]
    assert captions(paths, labels) == ["noto.png\nflag_de", "noto.png\nflag_it", "unique.png", "noto.png"]
