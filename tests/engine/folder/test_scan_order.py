"""The scan lists a folder in path order, Python's order, however the names are spelt."""

from __future__ import annotations

import os
from pathlib import Path

from lookalike.engine.folder.scan import scan_folder

NAMES = ["b.png", "a.png", "a b.png", "a-b.png", "A.png", "é.png", "e\u0301.png", "😀.png", "z.png", "ß.png"]


def test_paths_come_in_pythons_order(tmp_path: Path) -> None:
    for sub in ("a", "a.b", "B", "é"):
        (tmp_path / sub).mkdir()
        for name in NAMES:
            (tmp_path / sub / name).write_bytes(b"x")
    for name in NAMES:
        (tmp_path / name).write_bytes(b"x")
    undecodable = os.fsdecode(b"\xff.png")  # a name that is not UTF-8 (a surrogate escape)
    (tmp_path / undecodable).write_bytes(b"x")
    entries, _ = scan_folder(tmp_path)
    paths = [e.rel_path for e in entries]
    assert len(paths) == 5 * len(NAMES) + 1
    assert paths == sorted(paths)
    assert undecodable in paths
