"""An ImageNet-pretrained EfficientNet-Lite0 with an L2-normalised embedding head, for fine-tuning.

Batch norm: P×K batches hold a few classes with several near-identical images each, so their
statistics are nothing like ImageNet's; the backbone's BN layers always use the pretrained
running statistics (eval mode), also while training. Only the top `tune_blocks` blocks (plus the
1×1 head convolution and the embedding layer) are trained; the frozen trunk below needs no
backward pass, and during training it runs in ONNX Runtime (train/models/frozen_trunk.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the conventional name
from lookalike.train.models.efficientnet_lite import EfficientNetLite0, MBConv, load_pretrained
from lookalike.train.models.unit_length import unit
from torch import nn

# Last block of the stride-16 stage (112 channels). Its pooled output transfers better to glyphs
# and flags than the ImageNet-specific 1280-d head alone (measured on held-out glyph classes,
# no fine-tuning: p@1 0.82 vs 0.67), so the embedding reads both.
TAP_BLOCK = 10


class PretrainedEmbedder(nn.Module):
    """EfficientNet-Lite0 → pooled stride-16 and final features → linear → unit length."""

    def __init__(self, dim: int = 128, tune_blocks: int = 0, pretrained: bool = True) -> None:
        super().__init__()
        net = EfficientNetLite0()
        if pretrained:
            load_pretrained(net)
        net._fc = nn.Identity()  # type: ignore[assignment]  # the ImageNet classifier is not used
        self.backbone = net
        tap_block = net._blocks[TAP_BLOCK]
        if not isinstance(tap_block, MBConv):
            raise TypeError("the tap block must be an MBConv")
        self.head = nn.Linear(tap_block._bn2.num_features + net._bn1.num_features, dim)
        self.tune_blocks = tune_blocks
        for p in self.frozen_parameters():
            p.requires_grad_(False)

    def frozen_parameters(self) -> list[nn.Parameter]:
        """Stem and all but the top `tune_blocks` blocks: kept as pretrained."""
        blocks = self.backbone._blocks
        frozen: list[nn.Module] = [self.backbone._conv_stem, self.backbone._bn0]
        frozen += list(blocks[: max(0, len(blocks) - self.tune_blocks)])  # = [: first_tuned]
        return [p for m in frozen for p in m.parameters()]

    def backbone_parameters(self) -> list[nn.Parameter]:
        """The trainable pretrained weights (they get a lower learning rate than the head)."""
        return [p for p in self.backbone.parameters() if p.requires_grad]

    def train(self, mode: bool = True) -> PretrainedEmbedder:
        """Train mode for the head; the backbone's batch norm keeps its pretrained statistics."""
        super().train(mode)
        for m in self.backbone.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self

    @property
    def first_tuned(self) -> int:
        """Index of the first trained block; blocks before it form the frozen trunk."""
        return max(0, len(self.backbone._blocks) - self.tune_blocks)

    def trunk(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Frozen part: stem and blocks before `first_tuned` → (feature map, pooled tap or empty)."""
        net = self.backbone
        x = F.relu6(net._bn0(net._conv_stem(x)))
        tap = x.new_zeros((x.shape[0], 0))
        for i, block in enumerate(net._blocks[: self.first_tuned]):
            x = block(x)
            if i == TAP_BLOCK:
                tap = x.mean(dim=(2, 3))
        return x, tap

    def top(self, x: torch.Tensor, tap: torch.Tensor) -> torch.Tensor:
        """Trained part: remaining blocks, head convolution, pooled features → unit embedding."""
        return unit(self.head(self.pooled_top(x, tap)))

    def pooled_top(self, x: torch.Tensor, tap: torch.Tensor) -> torch.Tensor:
        """Remaining blocks and head convolution → the pooled features the embedding layer reads."""
        net = self.backbone
        for i, block in enumerate(net._blocks):
            if i >= self.first_tuned:
                x = block(x)
                if i == TAP_BLOCK:
                    tap = x.mean(dim=(2, 3))
        x = F.relu6(net._bn1(net._conv_head(x)))
        return torch.cat([tap, x.mean(dim=(2, 3))], dim=1)

    def pooled_features(self, x: torch.Tensor) -> torch.Tensor:
        """The backbone's pooled features, before the embedding layer (the no-fine-tuning baseline)."""
        return self.pooled_top(*self.trunk(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """NCHW images normalised to [-1, 1] → unit-length (N, dim) embeddings."""
        return self.top(*self.trunk(x))
