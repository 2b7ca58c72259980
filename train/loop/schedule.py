"""Learning rate per step: linear warm-up, then cosine decay to 5% over the epochs or the time budget."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from lookalike.train.config import TrainConfig

FLOOR = 0.05


@dataclass(frozen=True)
class LrSchedule:
    """Warm-up protects the pretrained weights from the head's first random gradients."""

    cfg: TrainConfig
    steps_per_epoch: int
    started: float
    deadline: float | None

    def factor(self, step: int) -> float:
        """Multiplier of the base rate at a global step (the later of epoch and time progress)."""
        warm = min(1.0, (step + 1) / self.cfg.warmup_steps) if self.cfg.warmup_steps else 1.0
        # By whole epochs, so a run resumed with more epochs replays the same rates.
        progress = (step // max(1, self.steps_per_epoch)) / max(1, self.cfg.epochs)
        if self.deadline is not None:
            elapsed = (time.monotonic() - self.started) / max(self.deadline - self.started, 1e-9)
            progress = max(progress, elapsed)
        cosine = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        return warm * (FLOOR + (1 - FLOOR) * cosine)

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> None:
        """Set every group's rate: base lr × the group's lr_scale × factor(step)."""
        f = self.factor(step)
        for group in optimizer.param_groups:
            group["lr"] = self.cfg.lr * float(group.get("lr_scale", 1.0)) * f
