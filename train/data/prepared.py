"""Turn DATA folders into the run's train and held-out image sets, reporting what was left out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from lookalike.engine.images.preprocessing import Preprocessing
from lookalike.train.config import TrainConfig
from lookalike.train.data.class_split import ClassSplit, split_classes
from lookalike.train.data.marked_data import with_marks
from lookalike.train.data.preload import ImageSet, dataset_of, list_dataset, preload, small_classes
from lookalike.train.data.provenance import content_fingerprint
from lookalike.train.loop.progress import progress_bar

Log = Callable[[str], None]


class DataError(ValueError):
    """The data cannot support a run (too few classes or images); the message says why."""


@dataclass(frozen=True)
class PreparedData:
    """Preloaded train and held-out sets plus integer labels for the P×K sampler."""

    train: ImageSet
    val: ImageSet
    split: ClassSplit
    train_ids: np.ndarray
    skipped: int
    fingerprint: str = ""  # what was read (labels and pixels): see train.data.provenance

    def class_groups(self) -> list[int]:
        """The dataset (index) of each training class id, for the sampler's turns between datasets."""
        names = sorted(set(self.train.labels))
        roots = sorted({dataset_of(n) for n in names})
        return [roots.index(dataset_of(n)) for n in names]

    def summary(self) -> dict[str, int]:
        """Counts for the log, the manifest and the model card."""
        return {
            "train_classes": len(set(self.train.labels)),
            "train_images": len(self.train),
            "val_classes": len(set(self.val.labels)),
            "val_images": len(self.val),
            "skipped_images": self.skipped,
        }


def preprocessing_for(cfg: TrainConfig) -> Preprocessing:
    """The model's input contract, fixed at training time and written into the manifest."""
    return Preprocessing(input_size=cfg.image_size, resize=cfg.resize)


def prepare(cfg: TrainConfig, log: Log, split: ClassSplit | None = None) -> PreparedData:
    """List, split by class (or reuse a saved split), preload both sides and report problems."""
    listing = list_dataset(cfg.data, cfg.exclude)
    if listing.excluded:
        log(f"excluded {listing.excluded} files matching {', '.join(cfg.exclude)} (reserved for evaluation)")
    listing = with_marks(listing, cfg.data, cfg.marks, log)
    labels = list(listing.labels)
    if cfg.max_classes is not None:
        keep_classes = set(sorted(set(labels))[: cfg.max_classes])
        labels = [lab for lab in labels if lab in keep_classes]
    classes = set(labels)  # built once: a set per path made this quadratic in the image count
    if len(classes) < 4:
        raise DataError(f"{', '.join(cfg.data)}: need at least 4 class folders with images")
    split = split or split_classes(labels, cfg.val_classes, cfg.seed)
    paths = [p for p, lab in zip(listing.paths, listing.labels, strict=True) if lab in classes]
    prep = preprocessing_for(cfg)
    with progress_bar(len(paths), "loading images") as bar:
        images, unreadable = preload(paths, labels, prep, progress=bar)
    for item in list(listing.skipped) + unreadable:
        log(f"skipped {item.path}: {item.reason}")
    return _assemble(images, split, len(listing.skipped) + len(unreadable), log)


def _assemble(images: ImageSet, split: ClassSplit, skipped: int, log: Log) -> PreparedData:
    """Cut the preloaded set by the split and leave single-image classes out of training."""
    train_classes, val_classes = set(split.train), set(split.val)
    tiny = set(small_classes([lab for lab in images.labels if lab in train_classes]))
    if tiny:
        log(f"{len(tiny)} training class(es) with < 2 images left out: {', '.join(sorted(tiny))}")
    trainable = train_classes - tiny
    train_idx = [i for i, lab in enumerate(images.labels) if lab in trainable]
    val_idx = [i for i, lab in enumerate(images.labels) if lab in val_classes]
    train, val = images.subset(train_idx), images.subset(val_idx)
    if len(set(train.labels)) < 2:
        raise DataError("fewer than 2 training classes with 2 or more images")
    n_val = len(set(val.labels))
    if n_val < 2 or n_val == len(small_classes(val.labels)):
        raise DataError("the held-out classes need at least 2 classes with 2 or more images")
    names = sorted(set(train.labels))
    index = {name: i for i, name in enumerate(names)}
    ids = np.array([index[lab] for lab in train.labels], dtype=np.int64)
    return PreparedData(train, val, split, ids, skipped, content_fingerprint(train, val))


def validation_subset(val: ImageSet, limit: int, seed: int) -> ImageSet:
    """Whole held-out classes, drawn seeded, until about `limit` images (0 or enough: all of them).

    Per-epoch validation of a pretrained network costs as much as minutes of training on a
    CPU; the export still scores every held-out image.
    """
    if limit <= 0 or len(val) <= limit:
        return val
    by_class: dict[str, list[int]] = {}
    for i, lab in enumerate(val.labels):
        by_class.setdefault(lab, []).append(i)
    roots = sorted({dataset_of(n) for n in by_class})
    rng = np.random.default_rng(seed)
    keep: list[int] = []
    for root in roots:  # an equal share per dataset, so no set dominates the checkpoint choice
        names = sorted(n for n in by_class if dataset_of(n) == root)
        taken: list[int] = []
        for j in rng.permutation(len(names)):
            if len(taken) >= limit // len(roots):
                break
            taken += by_class[names[j]]
        keep += taken
    return val.subset(sorted(keep))
