"""Process set-up the app does before Qt starts: Chromium flags and the bool refcount pin."""

from __future__ import annotations

import sys

from gui.bool_pin import PIN, pin_bool_singletons
from gui.web_engine_env import chromium_flags


def test_chromium_flags_follow_the_environment() -> None:
    assert chromium_flags({"QT_QPA_PLATFORM": "offscreen"}, euid=0) == [
        "--no-sandbox",
        "--ignore-gpu-blocklist",
    ]
    assert chromium_flags({"XAUTHORITY": "/tmp/xvfb-run.abc/Xauthority"}, euid=1000) == [
        "--disable-gpu-compositing"
    ]
    assert chromium_flags({}, euid=1000) == []


def test_true_and_false_cannot_be_drained() -> None:
    pin_bool_singletons()
    pin_bool_singletons()  # idempotent
    if sys.version_info < (3, 12):
        assert PIN < sys.getrefcount(True) < 2 * PIN
        assert PIN < sys.getrefcount(False) < 2 * PIN
