"""Where a run's data is and what it held, so a checkpoint is exported or resumed on that data only.

A checkpoint stores its DATA folders as absolute paths and a fingerprint of what was read (class
names and the preloaded pixels of both sides of the split). `lookalike export` and `train --resume`
read the folders the checkpoint names, never paths resolved against the current directory, and
refuse when the folders or their images are no longer the ones the run used.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lookalike.train.config import TrainConfig
    from lookalike.train.data.preload import ImageSet
    from lookalike.train.data.prepared import PreparedData


def content_fingerprint(*sets: ImageSet) -> str:
    """sha256 over class names and pixels, in order: equal only when the same images were read."""
    digest = hashlib.sha256()
    for image_set in sets:
        digest.update(len(image_set).to_bytes(8, "little"))
        for label in image_set.labels:
            digest.update(label.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(image_set.images.tobytes())
    return digest.hexdigest()


def absolute_folders(folders: Sequence[str]) -> list[str]:
    """The DATA folders as absolute, symlink-free paths (what the checkpoint stores)."""
    return [os.path.realpath(f) for f in folders]


def provenance(cfg: TrainConfig, data: PreparedData) -> dict[str, Any]:
    """What a checkpoint stores beside the weights: the split, the data folders, the fingerprint."""
    return {
        "split": asdict(data.split),
        "data_folders": absolute_folders(cfg.data),
        "data_fingerprint": data.fingerprint,
    }


def stored_folders(payload: dict[str, Any], checkpoint: Path) -> tuple[str, ...]:
    """The checkpoint's DATA folders; refused when it has none recorded or they are gone."""
    folders = payload.get("data_folders")
    if not isinstance(folders, list) or not folders or not all(isinstance(f, str) for f in folders):
        raise ValueError(
            f"{checkpoint} does not record where its data folders are (it predates absolute data "
            "paths), so it cannot be checked against them; train the run again to export it"
        )
    missing = [f for f in folders if not os.path.isdir(f)]
    if missing:
        raise ValueError(f"{checkpoint} was trained on {missing[0]}, which is no longer a folder")
    return tuple(folders)


def check_fingerprint(payload: dict[str, Any], data: PreparedData, checkpoint: Path) -> None:
    """Refuse when the images read now are not the ones the run trained and held out."""
    if payload.get("data_fingerprint") != data.fingerprint:
        folders = ", ".join(payload.get("data_folders") or ())
        raise ValueError(
            f"the images in {folders} are no longer the ones {checkpoint} was trained on "
            "(files added, removed or changed since); refusing to calibrate on different data"
        )


def same_folders(given: Sequence[str], stored: Sequence[str]) -> bool:
    """Whether DATA on the command line names the folders a checkpoint was trained on."""
    return absolute_folders(given) == list(stored)
