"""Emoji artwork is reserved for independent evaluation: no training or validation data from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from lookalike.train.config import DEFAULT_EXCLUDE, TrainConfig
from lookalike.train.data.preload import excluded_name, list_dataset
from lookalike.train.data.prepared import prepare
from PIL import Image


def _folder(root: Path, classes: int = 4, per_class: int = 3, emoji: int = 2) -> Path:
    rng = np.random.default_rng(0)
    for c in range(classes):
        d = root / f"class_{c}"
        d.mkdir(parents=True)
        names = [f"set{i}.png" for i in range(per_class)] + [f"emoji_font{i}.png" for i in range(emoji)]
        for name in names:
            pixels = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(d / name)
    return root


def test_emoji_files_are_excluded_by_default(tmp_path: Path) -> None:
    root = _folder(tmp_path / "flags")
    listing = list_dataset([str(root)])
    assert listing.excluded == 8
    assert len(listing.paths) == 12
    assert not any(Path(p).name.startswith("emoji_") for p in listing.paths)
    assert "emoji_*" in DEFAULT_EXCLUDE


def test_the_pattern_matches_names_case_insensitively_and_only_names() -> None:
    assert excluded_name("flags/de/EMOJI_noto.png", DEFAULT_EXCLUDE)
    assert not excluded_name("emoji_flags/de/iso.png", DEFAULT_EXCLUDE)  # a folder name is not a file name
    assert not excluded_name("flags/de/iso_emoji_.png", DEFAULT_EXCLUDE)


def test_an_empty_exclude_list_keeps_every_file(tmp_path: Path) -> None:
    root = _folder(tmp_path / "flags")
    assert len(list_dataset([str(root)], exclude=()).paths) == 20


def test_training_and_held_out_sets_hold_no_emoji(tmp_path: Path) -> None:
    root = _folder(tmp_path / "flags", classes=6)
    cfg = TrainConfig(
        data=(str(root),), out=str(tmp_path / "run"), val_classes=2, image_size=16, backbone="compact"
    )
    lines: list[str] = []
    data = prepare(cfg, lines.append)
    paths = data.train.paths + data.val.paths
    assert len(paths) == 18
    assert not any(Path(p).name.startswith("emoji_") for p in paths)
    assert any("excluded 12 files matching emoji_*" in line for line in lines)
