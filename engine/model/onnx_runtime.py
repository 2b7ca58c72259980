"""Import ONNX Runtime quietly: no telemetry files in the user's cache, no coloured warnings.

ONNX Runtime 1.2x+ on Linux and macOS writes a device id and an event database under
$XDG_CACHE_HOME/Microsoft at import time, and prints an ANSI-coloured warning when it cannot.
Its opt-out is an environment variable read at import, so every import goes through here.
"""

from __future__ import annotations

import os
from types import ModuleType

TELEMETRY_OPT_OUT = "ORT_DISABLE_TELEMETRY"


def import_onnxruntime() -> ModuleType:
    """The onnxruntime module, with telemetry off unless the user explicitly set the variable."""
    os.environ.setdefault(TELEMETRY_OPT_OUT, "1")
    import onnxruntime

    return onnxruntime
