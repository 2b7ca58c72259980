"""Real duplicates for tests: the bundled samples copied into tmp_path plus near and exact copies."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from lookalike.engine.model.bundled import default_model_path, sample_folder
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.thresholds.default import DuplicateChoice
from PIL import Image

# (source, copy made from it): a half-size re-save (near duplicate) and a byte-identical copy.
RESIZED = ("flag_it/iso_png320.png", "flag_it/iso_png320-small.png")
EXACT = ("10_of_hearts/kde-oxygen.jpg", "10_of_hearts/kde-oxygen copy.jpg")


def samples_with_duplicates(dest: Path) -> Path:
    """Copy the samples to `dest` and add two duplicates; the copies are older than their sources."""
    shutil.copytree(sample_folder(), dest, ignore=shutil.ignore_patterns("*.md"))
    src, copy = RESIZED
    with Image.open(dest / src) as img:
        img.convert("RGB").resize((img.width // 2, img.height // 2), Image.Resampling.LANCZOS).save(
            dest / copy
        )
    shutil.copyfile(dest / EXACT[0], dest / EXACT[1])
    for rel in (RESIZED[1], EXACT[1]):
        os.utime(dest / rel, (1_600_000_000, 1_600_000_000))
    return dest


def duplicate_threshold() -> float:
    """The bundled model's FAR 1e-3 point: strict, so the samples form small groups that hold the
    made copies (read from the model, since each model has its own distance scale)."""
    return float(Embedder(default_model_path(), device="cpu").manifest.thresholds["far_1e-3"])


def duplicate_choice() -> DuplicateChoice:
    """The bundled model's duplicate ("same picture") thresholds: what the Duplicates tab and
    `lookalike duplicates` use by default."""
    return Embedder(default_model_path(), device="cpu").manifest.duplicate_choice
