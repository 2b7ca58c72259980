"""Split by class, not by image: validation must measure classes the model never saw."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.train.data.preload import dataset_of


@dataclass(frozen=True)
class ClassSplit:
    """Which classes train and which are held out; saved with the run as split.json."""

    train: tuple[str, ...]
    val: tuple[str, ...]
    seed: int

    def save(self, path: Path) -> None:
        """Write split.json (atomically) beside the checkpoints."""
        from lookalike.train.loop.run_files import write_run_text

        write_run_text(path, json.dumps(asdict(self), indent=2) + "\n")


def load_split(path: Path) -> ClassSplit:
    """Read a split.json written by `ClassSplit.save`."""
    return split_from_dict(json.loads(path.read_text(encoding="utf-8")))


def split_from_dict(raw: dict[str, Any]) -> ClassSplit:
    """The split from its saved form (split.json, or the copy inside a checkpoint)."""
    return ClassSplit(tuple(raw["train"]), tuple(raw["val"]), int(raw["seed"]))


def split_classes(labels: Sequence[str], val: float, seed: int) -> ClassSplit:
    """Hold out a fraction (< 1) or a count (>= 1) of classes, drawn per dataset root, seeded."""
    classes = sorted(set(labels))
    groups: dict[str, list[str]] = {}
    for name in classes:
        groups.setdefault(dataset_of(name), []).append(name)
    rng = np.random.default_rng(seed)
    held: list[str] = []
    for group in groups.values():
        n_val = _val_count(len(group), val if val < 1 else val / len(groups))
        order = rng.permutation(len(group))
        held += [group[i] for i in order[:n_val]]
    if not held or len(held) == len(classes):
        raise ValueError(
            f"--val-classes {val:g} leaves {len(classes) - len(held)} training and "
            f"{len(held)} held-out classes out of {len(classes)}; both need at least one"
        )
    val_set = set(held)
    return ClassSplit(tuple(c for c in classes if c not in val_set), tuple(sorted(val_set)), seed)


def _val_count(n_classes: int, val: float) -> int:
    """Classes to hold out of a group: a fraction rounds, a count is capped to leave 2 to train."""
    count = round(n_classes * val) if val < 1 else round(val)
    if n_classes >= 4:
        count = max(count, 2)
    return int(min(count, max(n_classes - 2, 0)))
