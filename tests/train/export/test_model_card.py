"""The model card states what the run did: its own data, numbers and settings, no machine path."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from lookalike.train.config import AugmentConfig
from lookalike.train.export.comparison import ModelComparison
from lookalike.train.export.model_card import write_model_card
from lookalike.train.loop.trainer import RunResult

from tests.train.conftest import tiny_config


def test_the_card_is_made_of_this_run_only(tiny_run: RunResult, tmp_path: Path) -> None:
    cfg = tiny_config(tiny_run.out)
    card = tmp_path / "MODEL.md"
    write_model_card(card, cfg, tiny_run, ModelComparison({}, {}))
    text = card.read_text(encoding="utf-8")
    assert str(Path(cfg.data[0]).parent) not in text  # no path of this machine
    assert str(tmp_path) not in text
    assert str(tiny_run.out) not in text
    summary = json.loads((tiny_run.out / "config.json").read_text())
    assert f"±{summary['augment']['max_rotation_deg']:g}°" in text
    for other_build in ("Fashion", "coat", "~4,000", "flags"):
        assert other_build not in text, other_build  # this run trained on cards only
    assert f"{summary['image_size']}×{summary['image_size']}" in text
    split = json.loads((tiny_run.out / "split.json").read_text())
    assert "`cards`" in text
    assert f"(seed {cfg.seed})" in " ".join(text.split())
    assert all(name in text for name in split["val"])


def test_augmentation_on_the_card_follows_the_config(tiny_run: RunResult, tmp_path: Path) -> None:
    cfg = replace(tiny_config(tiny_run.out), augment=AugmentConfig(max_rotation_deg=3.0, flip=True))
    card = tmp_path / "MODEL.md"
    write_model_card(card, cfg, tiny_run, ModelComparison({}, {}))
    text = card.read_text(encoding="utf-8")
    assert "±3° rotation" in text
    assert "horizontal flips" in text
    assert "Mirror images are not treated as the same" not in text


def test_recalibration_updates_the_cards_file_facts(tmp_path: Path) -> None:
    """Recalibration rewrites the model file's manifest, so the card's size and hash must follow."""
    from lookalike.engine.model.embedder import file_sha256
    from lookalike.train.export.recalibrate import with_file_facts

    model = tmp_path / "model.onnx"
    model.write_bytes(b"x" * 4096)
    card = "`assets/model.onnx` (1 KB, sha256 `0b28f31723daa05b…`): a model.\n(9 KB, sha256 `00ff…`) stays"
    updated = with_file_facts(card, model)
    assert updated.startswith(f"`assets/model.onnx` (4 KB, sha256 `{file_sha256(model)[:16]}…`): a model.")
    assert updated.endswith("(9 KB, sha256 `00ff…`) stays")
