"""Where the bundled default model and sample images live: the package `lookalike.assets`.

Found through the import system, so a wheel, an editable install and a bare checkout all answer
with the real folder on disk (the repository's assets/ wherever it is not installed as a copy).
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path


def assets_dir() -> Path:
    """The assets folder: lookalike/assets when installed as a wheel, the repository's assets/ otherwise."""
    spec = find_spec("lookalike.assets")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the bundled assets (lookalike.assets) are not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def default_model_path() -> Path:
    """The model used when none is given: $LOOKALIKE_MODEL, else the bundled assets/model.onnx."""
    override = os.environ.get("LOOKALIKE_MODEL")
    return Path(override) if override else assets_dir() / "model.onnx"


def sample_folder() -> Path:
    """The bundled sample folder the app opens on first start."""
    return assets_dir() / "samples"
