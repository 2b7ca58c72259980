"""One training epoch: P×K batches, tensor augmentation, mining, triplet loss, health stats."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from lookalike.engine.images.preprocessing import Preprocessing
from lookalike.train.config import TrainConfig
from lookalike.train.data.augment import augment
from lookalike.train.data.normalization import standardize, to_unit
from lookalike.train.data.sampler import PKSampler
from lookalike.train.loop.health import HealthMeter
from lookalike.train.loop.progress import progress_bar
from lookalike.train.loop.schedule import LrSchedule
from lookalike.train.losses.miners import make_miner
from lookalike.train.losses.triplet import LossResult, TripletMarginLoss, distance_matrix


@dataclass(frozen=True)
class EpochResult:
    """Health summary, throughput, and whether the time budget cut the epoch short."""

    health: dict[str, float]
    images_per_s: float
    seconds: float
    cut_short: bool


Criterion = Callable[[torch.Tensor, torch.Tensor], LossResult]
BatchEmbedder = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
CriterionFactory = Callable[[TrainConfig, torch.Generator], Criterion]


def triplet_criterion(cfg: TrainConfig, generator: torch.Generator) -> Criterion:
    """Our miner + TripletMarginLoss, composed as configured."""
    loss_fn = TripletMarginLoss(cfg.margin, cfg.distance)
    miner = make_miner(cfg.mining, cfg.margin, generator)

    def criterion(emb: torch.Tensor, labels: torch.Tensor) -> LossResult:
        return loss_fn(emb, labels, miner(distance_matrix(emb, cfg.distance), labels))

    return criterion


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """All randomness of an epoch comes from (seed, epoch): resuming replays it exactly."""
    return torch.Generator().manual_seed(seed * 100_003 + epoch)


@dataclass(frozen=True)
class EpochInputs:
    """What every epoch of a run draws from: the preloaded images, their class ids, the P×K sampler,
    and (when part of the model runs elsewhere: the frozen trunk in ORT, or its cached outputs) how
    a batch of indices becomes embeddings instead of "augment the images, run the model"."""

    images: torch.Tensor
    labels: torch.Tensor
    sampler: PKSampler
    embed_batch: BatchEmbedder | None = None


@dataclass(frozen=True)
class EpochLimits:
    """How an epoch is bounded and driven: deadline, batch cap (dry run), LR schedule, loss."""

    deadline: float | None = None
    max_batches: int | None = None
    schedule: LrSchedule | None = None
    make_criterion: CriterionFactory = triplet_criterion


def train_epoch(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    inputs: EpochInputs,
    cfg: TrainConfig,
    epoch: int,
    limits: EpochLimits | None = None,
) -> EpochResult:
    """Train on one epoch of batches (or until the deadline / max_batches)."""
    limits = limits or EpochLimits()
    device = next(model.parameters()).device
    gen = epoch_generator(cfg.seed, epoch)
    prep = Preprocessing(input_size=cfg.image_size, resize=cfg.resize)
    criterion = limits.make_criterion(cfg, gen)
    meter = HealthMeter()
    model.train()
    start, cut = time.perf_counter(), False
    total = inputs.sampler.batches_per_epoch() if limits.max_batches is None else limits.max_batches
    with progress_bar(total, f"epoch {epoch + 1}") as bar:
        for i, idx in enumerate(inputs.sampler.epoch(gen)):
            if i == total:
                break
            if limits.deadline is not None and time.monotonic() > limits.deadline:
                cut = True
                break
            if limits.schedule is not None:
                limits.schedule.apply(optimizer, epoch * total + i)
            if inputs.embed_batch is None:
                emb = model(batch_input(inputs.images[idx].to(device), prep, cfg, gen))
            else:
                emb = inputs.embed_batch(idx, gen)
            y = inputs.labels[idx].to(device)
            result = criterion(emb, y)
            optimizer.zero_grad(set_to_none=True)
            result.loss.backward()
            optimizer.step()
            meter.add(result, emb)
            bar(1)
    seconds = time.perf_counter() - start
    return EpochResult(meter.summary(), meter.images / max(seconds, 1e-9), seconds, cut)


def batch_input(
    batch: torch.Tensor, prep: Preprocessing, cfg: TrainConfig, gen: torch.Generator
) -> torch.Tensor:
    """uint8 NHWC → augmented [0, 1] → the model's normalisation (identical to the engine's)."""
    unit = to_unit(batch, prep)
    unit = augment(unit, cfg.augment, prep.pad_value / 255.0, gen)
    return standardize(unit, prep)
