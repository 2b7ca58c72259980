"""The embedding networks: a compact ResNet trained from scratch, or the pretrained backbone."""

from __future__ import annotations

import torch
from lookalike.train.config import TrainConfig
from lookalike.train.models.unit_length import unit
from torch import nn


class BasicBlock(nn.Module):
    """Two 3×3 convolutions with a residual shortcut (He et al. 2016)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual: relu(bn(conv(relu(bn(conv x)))) + shortcut x)."""
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.short(x))


class EmbeddingNet(nn.Module):
    """Stem at stride 2, four one-block stages (widths w, 2w, 4w, 8w), pooled, projected, normalised."""

    def __init__(self, dim: int = 128, width: int = 32) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        widths = [width, width * 2, width * 4, width * 8]
        stages: list[nn.Module] = []
        cin = width
        for i, w in enumerate(widths):
            stages.append(BasicBlock(cin, w, 1 if i == 0 else 2))
            cin = w
        self.stages = nn.Sequential(*stages)
        self.head = nn.Linear(cin, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """NCHW float images → unit-length (N, dim) embeddings."""
        feats = self.stages(self.stem(x)).mean(dim=(2, 3))
        return unit(self.head(feats))


def build_model(cfg: TrainConfig, pretrained: bool = True) -> nn.Module:
    """The configured network; pretrained=False when weights come from a checkpoint anyway."""
    if cfg.backbone == "compact":
        return EmbeddingNet(cfg.dim, cfg.width)
    if cfg.backbone == "hybrid":
        from lookalike.train.models.hybrid import HybridEmbedder

        return HybridEmbedder(cfg.dim, cfg.learned_weight, cfg.image_size, pretrained)
    from lookalike.train.models.pretrained import PretrainedEmbedder

    return PretrainedEmbedder(cfg.dim, cfg.tune_blocks, pretrained)


def parameter_groups(model: nn.Module, cfg: TrainConfig) -> list[dict[str, object]]:
    """Optimiser groups: pretrained weights learn at lr × backbone_lr_scale, the rest at lr."""
    backbone: list[nn.Parameter] = getattr(model, "backbone_parameters", lambda: [])()
    ids = {id(p) for p in backbone}
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in ids]
    groups: list[dict[str, object]] = [{"params": rest, "lr_scale": 1.0}]
    if backbone:
        groups.append({"params": backbone, "lr_scale": cfg.backbone_lr_scale})
    return groups


def count_parameters(model: nn.Module) -> int:
    """Size report for the model card."""
    return sum(p.numel() for p in model.parameters())
