"""Chromium flags QtWebEngine needs before the QApplication exists, or the process dies silently."""

from __future__ import annotations

import os

FLAGS_VAR = "QTWEBENGINE_CHROMIUM_FLAGS"


def chromium_flags(
    environ: dict[str, str] | os._Environ[str] | None = None, euid: int | None = None
) -> list[str]:
    """Flags for this environment: no sandbox as root, software-friendly GPU flags off-screen/Xvfb."""
    env = os.environ if environ is None else environ
    flags: list[str] = ["--log-level=3"]  # Chromium's own warnings (dbus, vulkan) are noise to users
    if (os.geteuid() if euid is None else euid) == 0:
        flags.append("--no-sandbox")
    if env.get("QT_QPA_PLATFORM", "") == "offscreen":
        flags.append("--ignore-gpu-blocklist")
    elif "xvfb-run" in env.get("XAUTHORITY", "") or env.get("LOOKALIKE_XVFB") == "1":
        flags.append("--disable-gpu-compositing")
    return flags


def configure_web_engine_env() -> None:
    """Set the flags unless the user already chose some; call before creating the QApplication."""
    if FLAGS_VAR not in os.environ:
        os.environ[FLAGS_VAR] = " ".join(chromium_flags())
