"""Real images from ../shared/datasets, copied where a test may change them."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path


def copy_card_classes(datasets: Path, dest: Path, classes: Iterable[str]) -> Path:
    """Copy some real card classes into `dest` (folder-per-class) so a test may change them."""
    for name in classes:
        shutil.copytree(datasets / "cards" / name, dest / name)
    return dest
