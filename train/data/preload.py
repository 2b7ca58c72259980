"""Folder-per-class datasets preloaded once as uint8 arrays, so epochs never touch the disk."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lookalike.engine.errors import ImageLoadError
from lookalike.engine.folder.cpu_split import cpu_cores
from lookalike.engine.folder.scan import SkippedFile, scan_folder
from lookalike.engine.images.loading import load_image
from lookalike.engine.images.preprocessing import Preprocessing, fit_to_input
from lookalike.train.config import DEFAULT_EXCLUDE


@dataclass(frozen=True)
class ImageSet:
    """Preloaded images (uint8 NHWC at the model's input size) with their class names and paths."""

    images: np.ndarray
    labels: tuple[str, ...]
    paths: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, keep: Sequence[int] | np.ndarray) -> ImageSet:
        """The images at the given indices, in that order."""
        idx = np.asarray(keep, dtype=np.int64)
        return ImageSet(
            self.images[idx],
            tuple(self.labels[i] for i in idx),
            tuple(self.paths[i] for i in idx),
        )


@dataclass(frozen=True)
class FolderListing:
    """The labelled files of one or more dataset roots, and what was skipped or excluded."""

    paths: tuple[str, ...]
    labels: tuple[str, ...]
    skipped: tuple[SkippedFile, ...]
    excluded: int = 0


def excluded_name(path: str, patterns: Sequence[str]) -> bool:
    """True when the file name matches an exclude pattern (fnmatch, case-insensitive)."""
    name = os.path.basename(path).lower()
    return any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in patterns)


def list_dataset(roots: Sequence[str], exclude: Sequence[str] = DEFAULT_EXCLUDE) -> FolderListing:
    """Collect DATA/CLASS/IMAGE files, minus excluded names; with several roots, classes are ROOT/CLASS."""
    paths: list[str] = []
    labels: list[str] = []
    skipped: list[SkippedFile] = []
    excluded = 0
    for root in roots:
        entries, bad = scan_folder(root)
        prefix = f"{root_name(root)}/" if len(roots) > 1 else ""
        skipped += [SkippedFile(os.path.join(root, s.path), s.reason) for s in bad]
        for entry in entries:
            if excluded_name(entry.rel_path, exclude):
                excluded += 1
                continue
            if entry.label is None:
                skipped.append(SkippedFile(os.path.join(root, entry.rel_path), "not in a class folder"))
                continue
            paths.append(os.path.join(root, entry.rel_path))
            labels.append(prefix + entry.label)
    return FolderListing(tuple(paths), tuple(labels), tuple(skipped), excluded)


def root_name(root: str) -> str:
    """A short dataset name: the folder name, or its parent's when it is a generic 'folder'."""
    path = Path(root).resolve()
    return path.parent.name if path.name in ("folder", "images", "data") else path.name


def dataset_of(label: str) -> str:
    """The dataset prefix of a ROOT/CLASS label ('' for single-root runs)."""
    return label.split("/", 1)[0] if "/" in label else ""


def preload(
    paths: Sequence[str],
    labels: Sequence[str],
    prep: Preprocessing,
    progress: Callable[[int], None] | None = None,
) -> tuple[ImageSet, list[SkippedFile]]:
    """Decode and resize every image once with the engine's own code; unreadable ones are skipped."""
    results = _load_all(paths, prep, progress)
    keep = [i for i, r in enumerate(results) if not isinstance(r, str)]
    skipped = [SkippedFile(paths[i], str(r)) for i, r in enumerate(results) if isinstance(r, str)]
    size = prep.input_size
    images = np.zeros((len(keep), size, size, 3), dtype=np.uint8)
    for row, i in enumerate(keep):
        images[row] = results[i]
    image_set = ImageSet(images, tuple(labels[i] for i in keep), tuple(paths[i] for i in keep))
    return image_set, skipped


def _load_all(
    paths: Sequence[str], prep: Preprocessing, progress: Callable[[int], None] | None
) -> list[np.ndarray | str]:
    """Decode in a small thread pool (Pillow releases the GIL); errors become reason strings."""

    def one(path: str) -> np.ndarray | str:
        try:
            return fit_to_input(load_image(path, min_side=prep.input_size), prep)
        except ImageLoadError as exc:
            return str(exc)

    out: list[np.ndarray | str] = []
    with ThreadPoolExecutor(max_workers=max(2, cpu_cores())) as pool:
        for result in pool.map(one, paths, chunksize=32):
            out.append(result)
            if progress is not None:
                progress(1)
    return out


def small_classes(labels: Sequence[str], minimum: int = 2) -> list[str]:
    """Classes with too few images to give an anchor-positive pair."""
    names, counts = np.unique(np.asarray(labels), return_counts=True)
    return [str(n) for n, c in zip(names, counts, strict=True) if c < minimum]
