"""The CLI: bad input exits 2 with one clear line; health flags a collapse."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from lookalike.train.command import register_export, register_train
from lookalike.train.health import collapsed


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lookalike")
    sub = parser.add_subparsers(dest="command")
    register_train(sub)
    register_export(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


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
    from lookalike.train.health import HealthMeter

    empty = HealthMeter().summary()
    assert empty["batches"] == 0
    assert not collapsed(empty)


def test_an_unreadable_checkpoint_says_why_in_one_line(tmp_path: Path) -> None:
    from lookalike.train.checkpoint import load_checkpoint

    bad = tmp_path / "best.pt"
    bad.write_bytes(b"not a checkpoint\nsecond line")
    with pytest.raises(ValueError, match="is not a readable training checkpoint") as info:
        load_checkpoint(bad)
    assert "\n" not in str(info.value)
