"""A test trash: send2trash's freedesktop trash pointed into tmp_path, so no test touches the user's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


@pytest.fixture
def test_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG_DATA_HOME inside tmp_path; send2trash reads it once at import, so its copy is set too."""
    if sys.platform in ("darwin", "win32"):
        pytest.skip("the freedesktop trash is what tests can point at a temporary folder")
    import send2trash

    if send2trash.send2trash.__module__ != "send2trash.plat_other":
        pytest.skip("send2trash uses gio here, whose trash folder cannot be moved per test")
    data_home = tmp_path / "xdg-data"
    data_home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    from send2trash import plat_other

    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", bytes(data_home))
    monkeypatch.setattr(plat_other, "HOMETRASH_B", bytes(data_home / "Trash"))
    monkeypatch.setattr(plat_other, "HOMETRASH", str(data_home / "Trash"))
    return data_home / "Trash"
