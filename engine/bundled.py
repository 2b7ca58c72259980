"""Where the bundled default model and sample images live: package data of `lookalike`.

Read through importlib.resources so an ordinary (non-editable) install finds them as well as a
checkout does; both are plain files on disk, so a real path is returned.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def assets_dir() -> Path:
    """The installed assets folder (lookalike/assets: the repository's assets/ in a checkout)."""
    return Path(str(files("lookalike") / "assets"))


def default_model_path() -> Path:
    """The model used when none is given: $LOOKALIKE_MODEL, else the bundled assets/model.onnx."""
    override = os.environ.get("LOOKALIKE_MODEL")
    return Path(override) if override else assets_dir() / "model.onnx"


def sample_folder() -> Path:
    """The bundled sample folder the app opens on first start."""
    return assets_dir() / "samples"
