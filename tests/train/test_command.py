"""The CLI: bad input exits 2 with one clear line; health flags a collapse."""

from __future__ import annotations

from pathlib import Path

import pytest
from lookalike.train.loop.health import collapsed

from tests.train.conftest import train_cli


def _main(argv: list[str]) -> int:
    return train_cli(argv)


def test_missing_data_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _main(["train", str(tmp_path / "nope"), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert "not found" in err[0]


def test_bad_value_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _main(["train", str(tmp_path), "--out", str(tmp_path / "r"), "--margin", "-1"])
    assert code == 2
    assert "--margin" in capsys.readouterr().err


def test_too_few_classes_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "only").mkdir()
    code = _main(["train", str(tmp_path), "--out", str(tmp_path / "r")])
    assert code == 2
    assert "class" in capsys.readouterr().err


def test_export_of_a_non_checkpoint_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "x.pt"
    bogus.write_bytes(b"not a checkpoint")
    code = _main(["export", str(bogus), "--out", str(tmp_path / "m.onnx")])
    assert code == 2
    assert "checkpoint" in capsys.readouterr().err


def test_collapse_is_detected() -> None:
    assert collapsed({"spread": 0.001})
    assert not collapsed({"spread": 1.2})


def test_an_epoch_with_no_batches_is_not_a_collapse() -> None:
    from lookalike.train.loop.health import HealthMeter

    empty = HealthMeter().summary()
    assert empty["batches"] == 0
    assert not collapsed(empty)


def test_an_unreadable_checkpoint_says_why_in_one_line(tmp_path: Path) -> None:
    from lookalike.train.loop.checkpoint import load_checkpoint

    bad = tmp_path / "best.pt"
    bad.write_bytes(b"not a checkpoint\nsecond line")
    with pytest.raises(ValueError, match="is not a readable training checkpoint") as info:
        load_checkpoint(bad)
    assert "\n" not in str(info.value)


def _history(losses: list[float], maps: list[float]) -> list[dict[str, float]]:
    return [{"loss": a, "mean_average_precision_at_r": b} for a, b in zip(losses, maps, strict=True)]


def test_the_plateau_at_the_margin_is_detected() -> None:
    from lookalike.train.loop.health import plateaued

    stuck = _history([0.5, 0.21, 0.20, 0.19], [0.10, 0.154, 0.150, 0.152])
    assert plateaued(stuck, margin=0.2)


def test_no_plateau_while_the_metric_improves_or_the_loss_moves() -> None:
    from lookalike.train.loop.health import plateaued

    improving = _history([0.21, 0.20, 0.20], [0.10, 0.15, 0.20])
    learning = _history([0.12, 0.08, 0.05], [0.30, 0.30, 0.30])
    short = _history([0.2, 0.2], [0.1, 0.1])
    assert not plateaued(improving, margin=0.2)
    assert not plateaued(learning, margin=0.2)
    assert not plateaued(short, margin=0.2)


def test_backbone_choice_and_its_recipe(tmp_path: Path) -> None:
    from lookalike.train.command import config_from_args
    from lookalike.train.config import COMPACT_AUGMENT, COMPACT_LR

    from lookalike.cli.main import build_parser

    parser = build_parser()
    default = config_from_args(parser.parse_args(["train", str(tmp_path), "--out", str(tmp_path / "r")]))
    compact = config_from_args(
        parser.parse_args(["train", str(tmp_path), "--out", str(tmp_path / "r"), "--backbone", "compact"])
    )
    assert default.backbone == "hybrid"
    assert default.exclude == ("emoji_*",)
    assert compact.backbone == "compact"
    assert compact.lr == COMPACT_LR
    assert compact.augment.crop_scale == COMPACT_AUGMENT.crop_scale


def test_a_time_budget_is_not_cut_short_by_the_default_epoch_count(tmp_path: Path) -> None:
    """`--max-minutes` alone: the budget or a plateau ends the run, not the 30-epoch default."""
    from lookalike.train.command import BUDGET_EPOCHS, config_from_args
    from lookalike.train.config import DEFAULT_EPOCHS

    from lookalike.cli.main import build_parser

    parser = build_parser()
    base = ["train", str(tmp_path), "--out", str(tmp_path / "r")]
    budget = config_from_args(parser.parse_args([*base, "--max-minutes", "8"]))
    capped = config_from_args(parser.parse_args([*base, "--max-minutes", "8", "--epochs", "12"]))
    plain = config_from_args(parser.parse_args(base))
    assert budget.epochs == BUDGET_EPOCHS > DEFAULT_EPOCHS
    assert capped.epochs == 12
    assert plain.epochs == DEFAULT_EPOCHS
