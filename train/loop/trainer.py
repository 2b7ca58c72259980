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
from lookalike.train.data.marked_data import marked_negatives
from lookalike.train.data.marked_sampler import make_sampler
from lookalike.train.data.preload import ImageSet
from lookalike.train.data.prepared import Log, PreparedData, prepare, preprocessing_for, validation_subset
from lookalike.train.data.provenance import absolute_folders, provenance, same_folders
from lookalike.train.export.package_run import ExportReport, export_trained, training_summary
from lookalike.train.loop.checkpoint import RunState, load_checkpoint, save_checkpoint, state_from
from lookalike.train.loop.embed import embed_images
from lookalike.train.loop.epoch import (
    BatchEmbedder,
    CriterionFactory,
    EpochResult,
    batch_input,
    train_epoch,
    triplet_criterion,
)
from lookalike.train.loop.health import COLLAPSE_ADVICE, PLATEAU_ADVICE, collapsed, plateaued
from lookalike.train.loop.run_files import remove_stale_parts, write_run_text
from lookalike.train.loop.schedule import LrSchedule
from lookalike.train.loop.validation import headline, held_out_metrics
from lookalike.train.models.frozen_trunk import FrozenTrunk, trunk_runner
from lookalike.train.models.networks import build_model, parameter_groups
from lookalike.train.models.trunk_cache import TrunkCache


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
    forward = trunk_runner(model, cfg.image_size, device, out)
    if forward is not None:
        log(f"frozen trunk (stem and blocks 0-{forward.model.first_tuned - 1}) runs in ONNX Runtime")
    clock = (started, deadline, forward)
    speed = _train(model, optimizer, data, cfg, state, clock, log, make_criterion)
    if cfg.dry_run or not cfg.export or state.best_epoch < 0:
        return RunResult(out, state, None, speed)
    return RunResult(out, state, _export_best(model, data, cfg, state, log, forward), speed)


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


def _train(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data: PreparedData,
    cfg: TrainConfig,
    state: RunState,
    clock: tuple[float, float | None, FrozenTrunk | None],
    log: Log,
    make_criterion: CriterionFactory = triplet_criterion,
) -> float:
    """Epochs until done, out of patience or out of time; returns the mean images/s."""
    negatives = marked_negatives(cfg.marks, cfg.data, data.train.paths, data.train.labels)
    sampler = make_sampler(
        data.train_ids.tolist(), cfg.batch_classes, cfg.batch_images, negatives, data.class_groups()
    )
    tensors = (torch.from_numpy(data.train.images), torch.from_numpy(data.train_ids))
    started, deadline, forward = clock
    schedule = LrSchedule(cfg, sampler.batches_per_epoch(), started, deadline)
    embed_batch = _batch_embedder(forward, data, cfg, log)
    val = validation_subset(data.val, cfg.val_limit, cfg.seed)
    if len(val) < len(data.val):
        log(f"per-epoch validation on {len(val)} held-out images; the export scores all {len(data.val)}")
    speeds: list[float] = []
    while state.epoch < cfg.epochs:
        result = train_epoch(
            model,
            optimizer,
            tensors,
            sampler,
            cfg,
            state.epoch,
            deadline,
            1 if cfg.dry_run else None,
            make_criterion,
            schedule=schedule,
            embed_batch=embed_batch,
        )
        if result.health["batches"] == 0:  # the budget ran out before this epoch began: no row
            log(f"time budget of {cfg.max_minutes:g} min reached")
            break
        speeds.append(result.images_per_s)
        if cfg.dry_run:
            log(f"dry run: one batch, loss {result.health['loss']:.4f}, {result.images_per_s:.0f} img/s")
            break
        if _end_epoch((model, forward), optimizer, (data, val), cfg, state, result, log):
            break
    return sum(speeds) / max(len(speeds), 1)


def _batch_embedder(
    trunk: FrozenTrunk | None,
    data: PreparedData,
    cfg: TrainConfig,
    log: Log,
) -> BatchEmbedder | None:
    """How a batch becomes embeddings: the whole model (None), ORT trunk + top, or cache + top."""
    if trunk is None:
        return None
    if not cfg.cache_trunk or cfg.dry_run:
        images = torch.from_numpy(data.train.images)
        prep = preprocessing_for(cfg)
        return lambda idx, gen: trunk(batch_input(images[idx], prep, cfg, gen))
    log(f"caching the frozen trunk's outputs: {cfg.trunk_views} view(s) per image, each computed once")
    return TrunkCache(trunk, data.train.images, cfg)


def _end_epoch(
    models: tuple[torch.nn.Module, FrozenTrunk | None],
    optimizer: torch.optim.Optimizer,
    sets: tuple[PreparedData, ImageSet],
    cfg: TrainConfig,
    state: RunState,
    result: EpochResult,
    log: Log,
) -> bool:
    """Validate, record, checkpoint; True when the run should stop."""
    data, held_out = sets
    model, forward = models
    device = next(model.parameters()).device
    vectors = embed_images(model, held_out.images, preprocessing_for(cfg), device, forward)
    val = headline(held_out_metrics(vectors, held_out.labels))
    state.epoch += 1
    state.train_seconds += result.seconds
    row = {"epoch": state.epoch, "lr": optimizer.param_groups[0]["lr"], **result.health}
    row.update(images_per_s=result.images_per_s, seconds=result.seconds, **val)
    state.history.append(row)
    improved = val["mean_average_precision_at_r"] > state.best_score
    if improved:
        state.best_score, state.best_epoch, state.bad_epochs = (
            val["mean_average_precision_at_r"],
            state.epoch,
            0,
        )
    else:
        state.bad_epochs += 1
    out, origin = Path(cfg.out), provenance(cfg, data)
    save_checkpoint(out / "last.pt", model, optimizer, state, cfg, origin)
    if improved:
        save_checkpoint(out / "best.pt", model, optimizer, state, cfg, origin)
    write_run_text(out / "metrics.json", json.dumps(state.history, indent=1) + "\n")
    log(_epoch_line(row, improved))
    return _should_stop(cfg, state, result, log)


def _epoch_line(row: dict[str, Any], improved: bool) -> str:
    return (
        f"epoch {row['epoch']:3d}  loss {row['loss']:.4f}  active {row['active_fraction']:.2f}  "
        f"d(a,p) {row['mean_d_ap']:.3f}  d(a,n) {row['mean_d_an']:.3f}  spread {row['spread']:.3f}  "
        f"| held-out p@1 {row['precision_at_1']:.3f}  MAP@R {row['mean_average_precision_at_r']:.3f}  "
        f"AUC {row['roc_auc']:.3f}  VAL@1e-3 {row['val_at_far_1e-3']:.3f}  "
        f"| {row['images_per_s']:.0f} img/s{'  *best' if improved else ''}"
    )


def _should_stop(cfg: TrainConfig, state: RunState, result: EpochResult, log: Log) -> bool:
    """Collapse alarm, early stopping and the time budget."""
    if collapsed(result.health):
        log("WARNING: " + COLLAPSE_ADVICE)
    elif plateaued(state.history, cfg.margin):
        log("WARNING: " + PLATEAU_ADVICE)
    if state.bad_epochs >= cfg.patience:
        log(f"early stop: no MAP@R gain for {cfg.patience} epochs (best epoch {state.best_epoch})")
        return True
    if result.cut_short:
        log(f"time budget of {cfg.max_minutes:g} min reached")
        return True
    return False


def _export_best(
    model: torch.nn.Module,
    data: PreparedData,
    cfg: TrainConfig,
    state: RunState,
    log: Log,
    forward: FrozenTrunk | None = None,
) -> ExportReport:
    """Reload the best weights and export RUN/model.onnx with held-out calibration."""
    best = Path(cfg.out) / "best.pt"
    if not best.exists() and cfg.resume:  # resumed into a new folder without a better epoch
        best = Path(cfg.resume).parent / "best.pt"
    model.load_state_dict(load_checkpoint(best, "cpu")["model"])
    training = training_summary(data, cfg, state, model)
    int8_from = data.train.images if cfg.int8 else None
    out = Path(cfg.out) / "model.onnx"
    report = export_trained(model, cfg, data.val, training, out, int8_from, forward)
    log(f"exported {report.path} (ONNX parity max |diff| {report.parity_diff:.1e})")
    if report.int8 is not None:
        log(f"exported {report.int8_path} (held-out MAP@R {report.int8['mean_average_precision_at_r']:.3f})")
    return report
