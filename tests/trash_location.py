"""A test trash: the freedesktop home trash pointed into tmp_path, so no test touches the user's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


@pytest.fixture
def test_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG_DATA_HOME (where Qt's QFile.moveToTrash puts the home trash) and HOME inside tmp_path:
    Qt uses the home trash only for files on the home folder's file system."""
    if sys.platform in ("darwin", "win32"):
        pytest.skip("the freedesktop trash is what tests can point at a temporary folder")
    data_home = tmp_path / "xdg-data"
    data_home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    monkeypatch.setenv("HOME", str(tmp_path))
    return data_home / "Trash"
