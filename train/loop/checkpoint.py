"""Checkpoints that resume exactly: weights, optimiser, epoch, history and the run's config."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from lookalike.engine.errors import first_line
from lookalike.train.config import TrainConfig
from lookalike.train.loop.run_files import write_run_file


@dataclass
class RunState:
    """Progress of a run between epochs (mutable: the loop advances it)."""

    epoch: int = 0
    best_score: float = float("-inf")
    best_epoch: int = -1
    bad_epochs: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    train_seconds: float = 0.0


def save_checkpoint(
    path: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    state: RunState,
    cfg: TrainConfig,
    provenance: dict[str, Any],
) -> None:
    """Write atomically (tmp + rename) so an interrupted save never leaves a broken checkpoint.

    provenance: the split, plus where the data was and its fingerprint (train.data.provenance)."""
    payload = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "state": {
            "epoch": state.epoch,
            "best_score": state.best_score,
            "best_epoch": state.best_epoch,
            "bad_epochs": state.bad_epochs,
            "history": state.history,
            "train_seconds": state.train_seconds,
        },
        "config": cfg.to_json(),
        **provenance,
    }
    write_run_file(path, lambda fh: torch.save(payload, fh))
    cfg.save(path.parent / "config.json")


def load_checkpoint(path: str | os.PathLike[str], device: str = "cpu") -> dict[str, Any]:
    """Load with weights_only=True: a checkpoint is data, never code to run."""
    import pickle

    try:
        payload: dict[str, Any] = torch.load(path, map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, OSError, EOFError, IndexError, KeyError, ValueError) as exc:
        # torch.load on a file that is not a checkpoint fails in many ways (a text file: IndexError)
        raise ValueError(f"{path} is not a readable training checkpoint ({first_line(exc, 120)})") from exc
    if not isinstance(payload, dict):
        raise ValueError(f"{path} is not a Lookalike training checkpoint")
    missing = [k for k in ("model", "optimizer", "state", "config", "split") if k not in payload]
    if missing:
        raise ValueError(f"{path} is not a Lookalike training checkpoint (missing {missing})")
    return payload


def state_from(payload: dict[str, Any]) -> RunState:
    """The RunState stored in a checkpoint."""
    raw = payload["state"]
    return RunState(
        epoch=int(raw["epoch"]),
        best_score=float(raw["best_score"]),
        best_epoch=int(raw["best_epoch"]),
        bad_epochs=int(raw["bad_epochs"]),
        history=list(raw["history"]),
        train_seconds=float(raw["train_seconds"]),
    )
