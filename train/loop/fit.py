"""The training run's state as one object: a Trainer fits epochs, validates, checkpoints, exports.

Lightning's Trainer and timm's train script shape: what the loop needs (config, model, optimizer,
data, run state, log, clock, frozen trunk, loss) travels as this one object instead of 7–11
positional arguments between functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from lookalike.train.config import TrainConfig
from lookalike.train.data.marked_data import marked_negatives
from lookalike.train.data.marked_sampler import make_sampler
from lookalike.train.data.normalization import normalize_torch
from lookalike.train.data.preload import ImageSet
from lookalike.train.data.prepared import Log, PreparedData, preprocessing_for, validation_subset
from lookalike.train.data.provenance import provenance
from lookalike.train.export.package_run import ExportReport, export_trained, training_summary
from lookalike.train.loop.checkpoint import RunState, load_checkpoint, save_checkpoint
from lookalike.train.loop.embed import embed_images
from lookalike.train.loop.epoch import (
    BatchEmbedder,
    CriterionFactory,
    EpochInputs,
    EpochLimits,
    EpochResult,
    batch_input,
    train_epoch,
    triplet_criterion,
)
from lookalike.train.loop.health import COLLAPSE_ADVICE, PLATEAU_ADVICE, collapsed, plateaued
from lookalike.train.loop.run_files import write_run_text
from lookalike.train.loop.schedule import LrSchedule
from lookalike.train.loop.validation import headline, held_out_metrics
from lookalike.train.models.frozen_trunk import FrozenTrunk
from lookalike.train.models.trunk_cache import TrunkCache


@dataclass(frozen=True)
class Clock:
    """When the run started and when its time budget ends (monotonic seconds; None: no budget)."""

    started: float
    deadline: float | None = None


@dataclass
class Trainer:
    """One run's training: everything the epochs, validation, checkpoints and export share."""

    cfg: TrainConfig
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    data: PreparedData
    state: RunState
    log: Log
    clock: Clock
    forward: FrozenTrunk | None = None
    make_criterion: CriterionFactory = triplet_criterion
    # The held-out images' frozen-trunk outputs, computed once: only the top changes per epoch.
    _held_out_trunk: tuple[torch.Tensor, torch.Tensor] | None = field(default=None, init=False, repr=False)

    def fit(self) -> float:
        """Epochs until done, out of patience or out of time; returns the mean images/s."""
        inputs = self._inputs()
        limits = EpochLimits(
            deadline=self.clock.deadline,
            max_batches=1 if self.cfg.dry_run else None,
            schedule=LrSchedule(self.cfg, inputs.sampler.batches_per_epoch(), *self._clock_pair()),
            make_criterion=self.make_criterion,
        )
        held_out = validation_subset(self.data.val, self.cfg.val_limit, self.cfg.seed)
        if len(held_out) < len(self.data.val):
            self.log(f"per-epoch validation on {len(held_out)} held-out images; the export scores all "
                     f"{len(self.data.val)}")  # fmt: skip
        speeds: list[float] = []
        while self.state.epoch < self.cfg.epochs:
            result = train_epoch(self.model, self.optimizer, inputs, self.cfg, self.state.epoch, limits)
            if result.health["batches"] == 0:  # the budget ran out before this epoch began: no row
                self.log(f"time budget of {self.cfg.max_minutes:g} min reached")
                break
            speeds.append(result.images_per_s)
            if self.cfg.dry_run:
                self.log(
                    f"dry run: one batch, loss {result.health['loss']:.4f}, {result.images_per_s:.0f} img/s"
                )
                break
            if self.end_epoch(held_out, result):
                break
        return sum(speeds) / max(len(speeds), 1)

    def end_epoch(self, held_out: ImageSet, result: EpochResult) -> bool:
        """Validate, record, checkpoint; True when the run should stop."""
        val = headline(held_out_metrics(self._held_out_vectors(held_out), held_out.labels))
        improved = self._record(result, val)
        out, origin = Path(self.cfg.out), provenance(self.cfg, self.data)
        save_checkpoint(out / "last.pt", self.model, self.optimizer, self.state, self.cfg, origin)
        if improved:
            save_checkpoint(out / "best.pt", self.model, self.optimizer, self.state, self.cfg, origin)
        write_run_text(out / "metrics.json", json.dumps(self.state.history, indent=1) + "\n")
        self.log(epoch_line(self.state.history[-1], improved))
        return self.should_stop(result)

    def _held_out_vectors(self, held_out: ImageSet) -> Any:
        """Embeddings of the held-out images; with a frozen trunk its outputs are reused."""
        device = next(self.model.parameters()).device
        prep = preprocessing_for(self.cfg)
        if self.forward is None:
            return embed_images(self.model, held_out.images, prep, device)
        if self._held_out_trunk is None:
            trunk = self.forward
            parts = [trunk.features(normalize_torch(torch.from_numpy(held_out.images[i : i + 128]), prep))
                     for i in range(0, len(held_out), 128)]  # fmt: skip
            self._held_out_trunk = (torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts]))
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            vectors = self.forward.model.top(*self._held_out_trunk).numpy()
        self.model.train(was_training)
        return vectors

    def should_stop(self, result: EpochResult) -> bool:
        """Collapse alarm, early stopping and the time budget."""
        cfg, state = self.cfg, self.state
        if collapsed(result.health):
            self.log("WARNING: " + COLLAPSE_ADVICE)
        elif cfg.backbone != "hybrid" and plateaued(state.history, cfg.margin):
            # (the hybrid's fixed parts keep most of each distance, so its loss sits near the margin)
            self.log("WARNING: " + PLATEAU_ADVICE)
        if state.bad_epochs >= cfg.patience:
            self.log(f"early stop: no MAP@R gain for {cfg.patience} epochs (best epoch {state.best_epoch})")
            return True
        if result.cut_short:
            self.log(f"time budget of {cfg.max_minutes:g} min reached")
            return True
        return False

    def export_best(self) -> ExportReport:
        """Reload the best weights and export RUN/model.onnx with held-out calibration."""
        cfg = self.cfg
        best = Path(cfg.out) / "best.pt"
        if not best.exists() and cfg.resume:  # resumed into a new folder without a better epoch
            best = Path(cfg.resume).parent / "best.pt"
        self.model.load_state_dict(load_checkpoint(best, "cpu")["model"])
        training = training_summary(self.data, cfg, self.state, self.model)
        out = Path(cfg.out) / "model.onnx"
        report = export_trained(self.model, cfg, self.data, training, out, self.forward)
        self.log(f"exported {report.path} (ONNX parity max |diff| {report.parity_diff:.1e})")
        if report.int8 is not None:
            held = report.int8["mean_average_precision_at_r"]
            self.log(f"exported {report.int8_path} (held-out MAP@R {held:.3f})")
        return report

    def _record(self, result: EpochResult, val: dict[str, float]) -> bool:
        """Add the epoch's row to the history; True when its MAP@R is the best so far."""
        state = self.state
        state.epoch += 1
        state.train_seconds += result.seconds
        row = {"epoch": state.epoch, "lr": self.optimizer.param_groups[0]["lr"], **result.health}
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
        return improved

    def _inputs(self) -> EpochInputs:
        """Images, class ids, the P×K sampler (with the user's marked negatives) and the batch path."""
        data, cfg = self.data, self.cfg
        negatives = marked_negatives(cfg.marks, cfg.data, data.train.paths, data.train.labels)
        sampler = make_sampler(
            data.train_ids.tolist(), cfg.batch_classes, cfg.batch_images, negatives, data.class_groups()
        )
        images, labels = torch.from_numpy(data.train.images), torch.from_numpy(data.train_ids)
        return EpochInputs(images, labels, sampler, self._batch_embedder())

    def _batch_embedder(self) -> BatchEmbedder | None:
        """How a batch becomes embeddings: the whole model (None), ORT trunk + top, or cache + top."""
        trunk, cfg = self.forward, self.cfg
        if trunk is None:
            return None
        if not cfg.cache_trunk or cfg.dry_run:
            images = torch.from_numpy(self.data.train.images)
            prep = preprocessing_for(cfg)
            return lambda idx, gen: trunk(batch_input(images[idx], prep, cfg, gen))
        self.log(
            f"caching the frozen trunk's outputs: {cfg.trunk_views} view(s) per image, each computed once"
        )
        return TrunkCache(trunk, self.data.train.images, cfg)

    def _clock_pair(self) -> tuple[float, float | None]:
        return self.clock.started, self.clock.deadline


def epoch_line(row: dict[str, Any], improved: bool) -> str:
    """The log line of one epoch: loss and health, held-out retrieval, throughput."""
    return (
        f"epoch {row['epoch']:3d}  loss {row['loss']:.4f}  active {row['active_fraction']:.2f}  "
        f"d(a,p) {row['mean_d_ap']:.3f}  d(a,n) {row['mean_d_an']:.3f}  spread {row['spread']:.3f}  "
        f"| held-out p@1 {row['precision_at_1']:.3f}  MAP@R {row['mean_average_precision_at_r']:.3f}  "
        f"AUC {row['roc_auc']:.3f}  VAL@1e-3 {row['val_at_far_1e-3']:.3f}  "
        f"| {row['images_per_s']:.0f} img/s{'  *best' if improved else ''}"
    )
