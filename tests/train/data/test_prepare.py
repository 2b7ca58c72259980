"""Data preparation reports and skips what cannot train: unreadable files, one-image classes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from lookalike.train.data.prepared import DataError, prepare

from tests.real_data import CARDS, card_classes
from tests.train.conftest import tiny_config


def _copy_classes(dest: Path, names: list[str], per_class: int) -> None:
    for name in names:
        (dest / name).mkdir(parents=True)
        for src in sorted((CARDS / name).iterdir())[:per_class]:
            shutil.copy(src, dest / name / src.name)


def test_unreadable_and_single_image_classes_are_reported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    *names, alone = card_classes()[:7]
    _copy_classes(data, names, 4)
    (data / names[0] / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    lonely = data / alone
    lonely.mkdir()
    shutil.copy(next(iter(sorted((CARDS / alone).iterdir()))), lonely / "only.jpg")
    lines: list[str] = []
    cfg = tiny_config(tmp_path / "run", data=(str(data),), val_classes=2, max_classes=None)
    prepared = prepare(cfg, lines.append)
    assert prepared.skipped == 1
    assert any("broken.jpg" in line for line in lines)
    assert "broken.jpg" not in " ".join(prepared.train.paths + prepared.val.paths)
    if alone in prepared.split.train:
        assert any(alone in line and "< 2 images" in line for line in lines)
        assert alone not in prepared.train.labels
    assert prepared.train.images.shape[1:] == (32, 32, 3)


def test_too_few_classes_is_a_data_error(tmp_path: Path) -> None:
    _copy_classes(tmp_path / "data", card_classes()[:2], 3)
    with pytest.raises(DataError, match="at least 4"):
        prepare(tiny_config(tmp_path / "run", data=(str(tmp_path / "data"),)), lambda m: None)


def test_preparing_does_a_constant_number_of_set_builds_whatever_the_image_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Class filters build their sets once, not once per image (that was quadratic in images)."""
    import lookalike.train.data.prepared as prepared

    builds: list[int] = []

    def counted_set(*args: Any) -> set[Any]:
        builds.append(1)
        return set(*args)

    # A module-level name shadows the builtin for that module's own calls (raising=False: the
    # module has no attribute `set` until now); `counts[0] > 0` below checks the patch was reached.
    monkeypatch.setattr(prepared, "set", counted_set, raising=False)
    counts = []
    for per_class in (3, 6):
        data = tmp_path / f"data{per_class}"
        _copy_classes(data, card_classes()[:6], per_class)
        builds.clear()
        cfg = tiny_config(tmp_path / f"run{per_class}", data=(str(data),), val_classes=2, max_classes=None)
        assert len(prepare(cfg, lambda m: None).train) == 4 * per_class
        counts.append(len(builds))
    assert counts[0] > 0  # the counter really saw prepare()'s set builds
    assert counts[0] == counts[1]
