"""`run(cfg)`: preload, train epochs, validate on held-out classes, checkpoint, stop, export."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from lookalike.train.checkpoint import RunState, load_checkpoint, save_checkpoint, state_from
from lookalike.train.class_split import split_from_dict
from lookalike.train.config import TrainConfig, config_from_dict, with_changes
from lookalike.train.embed import embed_images
from lookalike.train.epoch import EpochResult, train_epoch
from lookalike.train.export_run import ExportReport, export_trained, training_summary
from lookalike.train.health import COLLAPSE_ADVICE, collapsed
from lookalike.train.marked_data import marked_negatives
from lookalike.train.marked_sampler import make_sampler
from lookalike.train.model import EmbeddingNet
from lookalike.train.prepared import Log, PreparedData, prepare, preprocessing_for
from lookalike.train.validation import headline, held_out_metrics


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
    """0 = auto: up to 2 threads, fewer when other processes already keep the cores busy.

    On a shared 2-core machine, a second torch thread waiting for a busy core made a step
    10-40× slower than one thread in our measurements, so the load average decides.
    """
    if requested > 0:
        return requested
    cores = os.cpu_count() or 1
    busy = round(os.getloadavg()[0]) if hasattr(os, "getloadavg") else 0
    return max(1, min(2, cores - busy))


def resume_config(cfg: TrainConfig) -> tuple[TrainConfig, dict[str, Any] | None]:
    """On --resume, continue the checkpoint's config; only budget, device and out come from cfg."""
    if cfg.resume is None:
        return cfg, None
    payload = load_checkpoint(cfg.resume)
    saved = config_from_dict(json.loads(payload["config"]))
    given = ("epochs", "max_minutes", "device", "out", "resume", "threads", "dry_run", "export")
    return with_changes(saved, **{k: getattr(cfg, k) for k in given}), payload


def run(cfg: TrainConfig, log: Log = log_stderr) -> RunResult:
    """Train as configured and export RUN/model.onnx from the best checkpoint."""
    started = time.monotonic()
    torch.set_num_threads(pick_threads(cfg.threads))
    cfg, payload = resume_config(cfg)
    device = pick_device(cfg.device)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    split = split_from_dict(payload["split"]) if payload else None
    data = prepare(cfg, log, split)
    data.split.save(out / "split.json")
    log(_describe(data, cfg, device))
    torch.manual_seed(cfg.seed)
    model = EmbeddingNet(cfg.dim, cfg.width).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    state = RunState()
    if payload is not None:
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        state = state_from(payload)
        log(f"resumed from {cfg.resume} after epoch {state.epoch}")
    cfg.save(out / "config.json")
    deadline = started + cfg.max_minutes * 60 if cfg.max_minutes else None
    speed = _train(model, optimizer, data, cfg, state, deadline, log)
    if cfg.dry_run or not cfg.export or state.best_epoch < 0:
        return RunResult(out, state, None, speed)
    return RunResult(out, state, _export_best(model, data, cfg, state, log), speed)


def _describe(data: PreparedData, cfg: TrainConfig, device: torch.device) -> str:
    s = data.summary()
    return (
        f"train: {s['train_images']} images in {s['train_classes']} classes; held out: "
        f"{s['val_images']} images in {s['val_classes']} classes; skipped {s['skipped_images']}; "
        f"device {device} ({torch.get_num_threads()} threads); "
        f"batch {cfg.batch_classes}×{cfg.batch_images}; mining {cfg.mining}"
    )


def _train(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data: PreparedData,
    cfg: TrainConfig,
    state: RunState,
    deadline: float | None,
    log: Log,
) -> float:
    """Epochs until done, out of patience or out of time; returns the mean images/s."""
    negatives = marked_negatives(cfg.marks, cfg.data, data.train.paths, data.train.labels)
    sampler = make_sampler(data.train_ids.tolist(), cfg.batch_classes, cfg.batch_images, negatives)
    tensors = (torch.from_numpy(data.train.images), torch.from_numpy(data.train_ids))
    speeds: list[float] = []
    while state.epoch < cfg.epochs:
        _set_lr(optimizer, cfg, state.epoch)
        result = train_epoch(
            model, optimizer, tensors, sampler, cfg, state.epoch, deadline, 1 if cfg.dry_run else None
        )
        if result.health["batches"] == 0:  # the budget ran out before this epoch began: no row
            log(f"time budget of {cfg.max_minutes:g} min reached")
            break
        speeds.append(result.images_per_s)
        if cfg.dry_run:
            log(f"dry run: one batch, loss {result.health['loss']:.4f}, {result.images_per_s:.0f} img/s")
            break
        if _end_epoch(model, optimizer, data, cfg, state, result, log):
            break
    return sum(speeds) / max(len(speeds), 1)


def _set_lr(optimizer: torch.optim.Optimizer, cfg: TrainConfig, epoch: int) -> None:
    """Warm-up for one epoch, then cosine decay to 5%: a pure function of the epoch (resumable)."""
    cosine = 0.5 * (1 + math.cos(math.pi * epoch / max(cfg.epochs, 1)))
    factor = 0.3 if epoch == 0 else 0.05 + 0.95 * cosine
    for group in optimizer.param_groups:
        group["lr"] = cfg.lr * factor


def _end_epoch(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data: PreparedData,
    cfg: TrainConfig,
    state: RunState,
    result: EpochResult,
    log: Log,
) -> bool:
    """Validate, record, checkpoint; True when the run should stop."""
    device = next(model.parameters()).device
    vectors = embed_images(model, data.val.images, preprocessing_for(cfg), device)
    val = headline(held_out_metrics(vectors, data.val.labels))
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
    out, split = Path(cfg.out), asdict(data.split)
    save_checkpoint(out / "last.pt", model, optimizer, state, cfg, split)
    if improved:
        save_checkpoint(out / "best.pt", model, optimizer, state, cfg, split)
    (out / "metrics.json").write_text(json.dumps(state.history, indent=1) + "\n", encoding="utf-8")
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
    if state.bad_epochs >= cfg.patience:
        log(f"early stop: no MAP@R gain for {cfg.patience} epochs (best epoch {state.best_epoch})")
        return True
    if result.cut_short:
        log(f"time budget of {cfg.max_minutes:g} min reached")
        return True
    return False


def _export_best(
    model: torch.nn.Module, data: PreparedData, cfg: TrainConfig, state: RunState, log: Log
) -> ExportReport:
    """Reload the best weights and export RUN/model.onnx with held-out calibration."""
    best = Path(cfg.out) / "best.pt"
    if not best.exists() and cfg.resume:  # resumed into a new folder without a better epoch
        best = Path(cfg.resume).parent / "best.pt"
    model.load_state_dict(load_checkpoint(best, "cpu")["model"])
    training = training_summary(data, cfg, state, model)
    report = export_trained(model, cfg, data.val, training, Path(cfg.out) / "model.onnx")
    log(f"exported {report.path} (ONNX parity max |diff| {report.parity_diff:.1e})")
    return report
