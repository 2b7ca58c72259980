"""Where the bundled default model and sample images live (assets/ beside the packages)."""

from __future__ import annotations

import os
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def default_model_path() -> Path:
    """The model used when none is given: $LOOKALIKE_MODEL, else assets/model.onnx."""
    override = os.environ.get("LOOKALIKE_MODEL")
    return Path(override) if override else ASSETS / "model.onnx"


def sample_folder() -> Path:
    """The bundled sample folder the app opens on first start."""
    return ASSETS / "samples"
