"""The bundled real sample images (cards x 7, flags x 3-4) copied where a test may change them."""

from __future__ import annotations

import shutil
from pathlib import Path

from lookalike.engine.model.bundled import sample_folder


def copy_samples(dest: Path) -> Path:
    """A writable copy of the bundled samples (folder-per-class), without the provenance note."""
    shutil.copytree(sample_folder(), dest, ignore=shutil.ignore_patterns("*.md"))
    return dest
