"""`run(cfg)`: preload, train epochs, validate on held-out classes, checkpoint, stop, export."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from lookalike.engine.folder.cpu_split import cpu_cores
from lookalike.train.config import TrainConfig, config_from_dict, with_changes
from lookalike.train.data.class_split import split_from_dict
from lookalike.train.data.prepared import Log, PreparedData, prepare
from lookalike.train.data.provenance import absolute_folders, same_folders
from lookalike.train.export.package_run import ExportReport
from lookalike.train.loop.checkpoint import RunState, load_checkpoint, state_from
from lookalike.train.loop.epoch import CriterionFactory, triplet_criterion
from lookalike.train.loop.fit import Clock, Trainer
from lookalike.train.loop.run_files import remove_stale_parts
from lookalike.train.models.frozen_trunk import trunk_runner
from lookalike.train.models.networks import build_model, parameter_groups


@dataclass(frozen=True)
class RunResult:
    """Where the run's files are and how it went."""

    out: Path
    state: RunState
    export: ExportReport | None
    images_per_s: float


def log_stderr(message: str) -> None:
    """Progress lines go to stderr so stdout keeps only the result table."""
    print(message, file=sys.stderr, flush=True)


def pick_device(name: str) -> torch.device:
    """auto → CUDA when torch sees a GPU, else CPU; cuda without a GPU is a user error."""
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but torch sees no CUDA GPU")
    return torch.device("cuda" if name != "cpu" and torch.cuda.is_available() else "cpu")


def pick_threads(requested: int) -> int:
    """0 = auto: one torch thread per core this process may use (the network and augmentation
    run on them; images are decoded once, before training, in a pool of the same size)."""
    return requested if requested > 0 else cpu_cores()


def resume_config(cfg: TrainConfig) -> tuple[TrainConfig, dict[str, Any] | None]:
    """On --resume, continue the checkpoint's config; only budget, device and out come from cfg.

    DATA must name the folders the checkpoint trained on (refused otherwise, in one line); the
    run then reads those folders by their absolute paths, whatever the current directory."""
    if cfg.resume is None:
        return cfg, None
    payload = load_checkpoint(cfg.resume)
    saved = config_from_dict(json.loads(payload["config"]))
    stored = payload.get("data_folders") or absolute_folders(saved.data)
    if not same_folders(cfg.data, stored):
        raise ValueError(
            f"--resume {cfg.resume} trained on {', '.join(stored)}, not {', '.join(cfg.data)}: "
            "give the same DATA to continue that run, or start a new run without --resume"
        )
    given = ("epochs", "max_minutes", "device", "out", "resume", "threads", "dry_run", "export")
    changes = {k: getattr(cfg, k) for k in given}
    return with_changes(saved, data=tuple(stored), **changes), payload


def run(
    cfg: TrainConfig, log: Log = log_stderr, make_criterion: CriterionFactory = triplet_criterion
) -> RunResult:
    """Train as configured and export RUN/model.onnx from the best checkpoint.

    make_criterion swaps the loss and miner (the benchmark runs pytorch-metric-learning's).
    """
    started = time.monotonic()
    torch.set_num_threads(pick_threads(cfg.threads))
    cfg, payload = resume_config(cfg)
    device = pick_device(cfg.device)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(out)
    split = split_from_dict(payload["split"]) if payload else None
    data = prepare(cfg, log, split)
    data.split.save(out / "split.json")
    log(_describe(data, cfg, device))
    torch.manual_seed(cfg.seed)
    model = build_model(cfg, pretrained=payload is None).to(device)
    optimizer = torch.optim.AdamW(parameter_groups(model, cfg), lr=cfg.lr, weight_decay=cfg.weight_decay)
    state = RunState()
    if payload is not None:
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        state = state_from(payload)
        log(f"resumed from {cfg.resume} after epoch {state.epoch}")
    cfg.save(out / "config.json")
    deadline = started + cfg.max_minutes * 60 if cfg.max_minutes else None
    if payload is None and cfg.start_from:
        _start_from(model, cfg, log)
    elif payload is None:
        _fit_projections(model, data, cfg, device, out, log)
    forward = trunk_runner(model, cfg.image_size, device, out)
    if forward is not None:
        log(f"frozen trunk (stem and blocks 0-{forward.model.first_tuned - 1}) runs in ONNX Runtime")
    trainer = Trainer(
        cfg, model, optimizer, data, state, log, Clock(started, deadline), forward, make_criterion
    )
    speed = trainer.fit()
    if cfg.dry_run or not cfg.export or state.best_epoch < 0:
        return RunResult(out, state, None, speed)
    return RunResult(out, state, trainer.export_best(), speed)


def _fit_projections(
    model: torch.nn.Module, data: PreparedData, cfg: TrainConfig, device: torch.device, out: Path, log: Log
) -> None:
    """A new hybrid model fits its part projections on the training images (a resumed one has them)."""
    from lookalike.train.models.hybrid import HybridEmbedder

    if not isinstance(model, HybridEmbedder):
        return
    from lookalike.train.models.projection_fit import fit_projections

    begun = time.monotonic()
    n = fit_projections(model, data, cfg, device, out)
    log(f"fixed parts' projections fitted on {n} training images in {time.monotonic() - begun:.0f} s")


def _start_from(model: torch.nn.Module, cfg: TrainConfig, log: Log) -> None:
    """The learned part and projections come from a model file (config validation allows the
    hybrid only); its projections are kept, so its fixed parts stay exactly as they were."""
    from lookalike.train.models.hybrid import HybridEmbedder
    from lookalike.train.models.start_weights import start_from

    assert isinstance(model, HybridEmbedder)
    assert cfg.start_from is not None
    start_from(model, Path(cfg.start_from), cfg.image_size)
    log(f"started from {cfg.start_from}: its learned part and projections (no refit)")


def _describe(data: PreparedData, cfg: TrainConfig, device: torch.device) -> str:
    s = data.summary()
    return (
        f"train: {s['train_images']} images in {s['train_classes']} classes; held out: "
        f"{s['val_images']} images in {s['val_classes']} classes; skipped {s['skipped_images']}; "
        f"device {device} ({torch.get_num_threads()} torch threads of {cpu_cores()} cores for the "
        f"network and augmentation; images decoded once up front in {max(2, cpu_cores())} threads); "
        f"backbone {cfg.backbone}; input {cfg.image_size} px; "
        f"batch {cfg.batch_classes}×{cfg.batch_images}; mining {cfg.mining}"
    )
