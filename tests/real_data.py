"""Real images the suite carries (tests/data, see its PROVENANCE.md) and the folders tests build from them."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CARDS = DATA / "cards"


def card_classes() -> list[str]:
    """Every card class the suite carries, sorted, so tests count from the data, not from constants."""
    return sorted(p.name for p in CARDS.iterdir() if p.is_dir())


def copy_card_classes(dest: Path, classes: Iterable[str]) -> Path:
    """Copy some real card classes into `dest` (folder-per-class) so a test may change them."""
    for name in classes:
        shutil.copytree(CARDS / name, dest / name)
    return dest


def big_card_folder(dest: Path, n_images: int) -> Path:
    """A folder of `n_images` real card files (the carried ones, copied round-robin under new names)."""
    sources = sorted(CARDS.rglob("*.jpg"))
    for i in range(n_images):
        src = sources[i % len(sources)]
        target = dest / src.parent.name / f"{i:05d}-{src.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return dest


def count_images(folder: Path) -> int:
    """How many image files a folder holds (recursively), so tests count from the data they built."""
    return sum(1 for p in folder.rglob("*") if p.suffix.lower() in {".jpg", ".png"})


def count_sample_images() -> int:
    """How many images the bundled sample folder holds (counted, not assumed)."""
    from lookalike.engine.model.bundled import sample_folder

    return count_images(sample_folder())
