"""The bundled real sample images (8 classes x 7: cards and flags) copied where a test may change them."""

from __future__ import annotations

import shutil
from pathlib import Path

from lookalike.engine.bundled import sample_folder


def copy_samples(dest: Path) -> Path:
    """A writable copy of the bundled samples (folder-per-class), without the provenance note."""
    shutil.copytree(sample_folder(), dest, ignore=shutil.ignore_patterns("*.md"))
    return dest
