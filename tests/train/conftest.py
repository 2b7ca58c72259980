"""Shared fixtures: a tiny, fast training configuration on real data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lookalike.train.config import TrainConfig
from lookalike.train.loop.trainer import RunResult

from tests.real_data import CARDS


def tiny_config(out: Path, **changes: object) -> TrainConfig:
    """A few card classes at 32 px with a narrow compact network: an epoch takes about a second."""
    base: dict[str, Any] = {
        "data": (str(CARDS),),
        "out": str(out),
        "epochs": 2,
        "val_classes": 3,
        "max_classes": 8,
        "image_size": 32,
        "backbone": "compact",
        "width": 8,
        "dim": 16,
        "batch_classes": 4,
        "batch_images": 4,
        "device": "cpu",
        "threads": 1,
    }
    base.update(changes)
    return TrainConfig(**base)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """One tiny end-to-end run with export, shared by the export and manifest tests."""
    from lookalike.train.loop.trainer import run

    out = tmp_path_factory.mktemp("tiny_run")
    return run(tiny_config(out), log=lambda message: None)


def train_cli(argv: list[str]) -> int:
    """`lookalike train|export ARGS` through the real subcommand registration, in this process."""
    import argparse

    from lookalike.train.command import register_export, register_train

    parser = argparse.ArgumentParser(prog="lookalike")
    sub = parser.add_subparsers(dest="command")
    register_train(sub)
    register_export(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))
