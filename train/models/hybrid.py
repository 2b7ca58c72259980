"""The default embedder: what the frozen ImageNet backbone and the pixels already know, plus a
learned part, each unit-length and weighted, concatenated and normalised again.

Why: fine-tuning on a handful of image kinds made the embedding *worse* on the next kind than
the untuned backbone, and the untuned backbone's globally pooled features lose to raw pixels on
kinds where layout and colour decide (flags, cards): global pooling throws the layout away.
Measured leaving one kind out (bench/model/transfer.py, bench/results/transfer.md), four fixed parts
carry almost all of what transfers:

- pixels: the 16×16 colour thumbnail with each channel's mean removed (layout and colour,
  brightness-invariant);
- blocks 5 and 10 of EfficientNet-Lite0 (stride 16) pooled over a 2×2 grid (mid-level shape
  with coarse layout), and the head's 1280 globally pooled features (ImageNet semantics);
- colour: each cell's channel means on a 4×4 grid with the cell's grey level removed, at its own
  scale (not unit length: a grey picture has none, and JPEG noise on a nearly grey one must not be
  blown up to a full-length direction). The pixel part removes each channel's mean, so without
  it the embedding hardly knew a red flag from a blue one of the same layout: leaving flags out,
  the recipe fell below raw pixels there (bench/results/transfer.md);

and a learned part (triplet loss on the user's classes) adds what the training set teaches,
at `learned_weight`. Squared distances add over parts, so each weight is how much that part
counts. The backbone parts are projected on their principal components, fitted on the run's
own training images (`fit_projections`): 2,816 numbers would cost 2× the memory of 1,536 for
no measured gain. Nothing in the backbone trains; batch norm keeps ImageNet statistics.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F  # noqa: N812 - the conventional name
from lookalike.train.models.efficientnet_lite import EfficientNetLite0, load_pretrained
from lookalike.train.models.pretrained import TAP_BLOCK
from lookalike.train.models.unit_length import unit
from torch import nn

PIXEL_GRID = 16
MID_BLOCK = 5  # last block read below the tap block (80 channels, stride 16)
# Part weights, chosen leaving one kind out (bench/model/transfer.py); pixels count 1.
WEIGHTS = {"pixels": 1.0, "mid": 0.3, "tap": 0.7, "head": 0.85, "colour": 1.0}
# The colour part's grid. Screened on the bundled model's held-out classes with its fixed parts
# (2×2, 4×4, 8×8 grids at weights 0.25-3): flags' precision@1 0.637 -> 0.732 at 4×4 and 1.0, every
# other kind within 0.004; past 1.0 cards and chess pieces start to lose. Confirmed leaving one
# kind out (bench/results/transfer.md).
COLOUR_GRID = 4
# Principal components kept per backbone part (channels × grid cells → this many).
COMPONENTS = {"mid": 128, "tap": 256, "head": 256}
GRID = 2  # backbone maps are pooled over GRID × GRID cells
STRIDE = 16  # of the mid and tap blocks
CHANNELS = {"mid": 80, "tap": 112, "head": 1280}
CELLS = {"mid": GRID * GRID, "tap": GRID * GRID, "head": 1}


def embedding_parts(learned_dim: int, colour: bool = True) -> dict[str, tuple[int, int]]:
    """Where each part lies in the embedding, [start, stop) (the manifest's `parts`): the fixed
    parts in the order `trunk` joins them, then the learned part. The engine reads "pixels" for
    the duplicate listing's pixel gate (engine.duplicates.pixel_gate). `colour`: False for the
    layout of models made before the colour part."""
    sizes = {"pixels": PIXEL_GRID * PIXEL_GRID * 3, **COMPONENTS}
    if colour:
        sizes["colour"] = COLOUR_GRID * COLOUR_GRID * 3
    sizes["learned"] = learned_dim
    out, start = {}, 0
    for name, size in sizes.items():
        out[name] = (start, start + size)
        start += size
    return out


def hybrid_parts(embedding_dim: int) -> dict[str, tuple[int, int]]:
    """The parts of a hybrid embedding of `embedding_dim` numbers (for a manifest written before
    parts were recorded, which is older than the colour part too); empty when the size cannot be
    a hybrid's."""
    fixed = PIXEL_GRID * PIXEL_GRID * 3 + sum(COMPONENTS.values())
    return embedding_parts(embedding_dim - fixed, colour=False) if embedding_dim > fixed else {}


def grid_pool(x: torch.Tensor, kernel: int) -> torch.Tensor:
    """Average over kernel × kernel cells, flattened channel-major. The kernel is a constant of
    the input size (the exported graph cannot read sizes: SameConv's padding hides them)."""
    return F.avg_pool2d(x, kernel).flatten(1)


def pixel_part(x: torch.Tensor, kernel: int) -> torch.Tensor:
    """16×16 thumbnail of the normalised input, each channel's mean removed, flattened."""
    small = F.avg_pool2d(x, kernel)
    return (small - small.mean(dim=(2, 3), keepdim=True)).flatten(1)


def colour_part(x: torch.Tensor, kernel: int) -> torch.Tensor:
    """Each cell's channel means less the cell's grey level, divided by the grid side so the part's
    length is the cells' root-mean-square colour (0 for a grey picture)."""
    cells = F.avg_pool2d(x, kernel)
    chroma = cells - cells.mean(dim=1, keepdim=True)
    return chroma.flatten(1) / COLOUR_GRID


class HybridEmbedder(nn.Module):
    """Frozen EfficientNet-Lite0 parts + pixels + a learned linear part → unit embedding."""

    def __init__(
        self, dim: int = 128, learned_weight: float = 0.5, image_size: int = 64, pretrained: bool = True
    ) -> None:
        super().__init__()
        if image_size % (STRIDE * GRID):
            raise ValueError(f"the hybrid embedder needs an input size divisible by {STRIDE * GRID}")
        self.pixel_kernel = image_size // PIXEL_GRID
        self.colour_kernel = image_size // COLOUR_GRID
        self.grid_kernel = image_size // STRIDE // GRID
        net = EfficientNetLite0()
        if pretrained:
            load_pretrained(net)
        net._fc = nn.Identity()  # type: ignore[assignment]  # the ImageNet classifier is not used
        self.backbone = net
        for p in net.parameters():
            p.requires_grad_(False)
        self.head = nn.Linear(CHANNELS["tap"] + CHANNELS["head"], dim)
        self.learned_weight = learned_weight
        self.colour = True  # False: the layout of a model made before the colour part (start_weights)
        for name, k in COMPONENTS.items():
            d = CHANNELS[name] * CELLS[name]
            self.register_buffer(f"{name}_mean", torch.zeros(d))
            self.register_buffer(f"{name}_basis", torch.eye(d, k))

    # The trainer's interface (shared with PretrainedEmbedder): trunk runs frozen, top trains.
    tune_blocks = 0

    @property
    def first_tuned(self) -> int:
        """Every block is frozen: the whole backbone is the trunk."""
        return len(self.backbone._blocks)

    def backbone_parameters(self) -> list[nn.Parameter]:
        """Nothing in the backbone trains."""
        return []

    def train(self, mode: bool = True) -> HybridEmbedder:
        """Only the learned part has a train mode; the backbone stays in eval (ImageNet BN)."""
        super().train(mode)
        self.backbone.eval()
        return self

    def raw_parts(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every fixed part before projection, and the tap block's global pool (learned input)."""
        net = self.backbone
        parts = {"pixels": pixel_part(x, self.pixel_kernel), "colour": colour_part(x, self.colour_kernel)}
        h = F.relu6(net._bn0(net._conv_stem(x)))
        for i, block in enumerate(net._blocks):
            h = block(h)
            if i == MID_BLOCK:
                parts["mid"] = grid_pool(h, self.grid_kernel)
            elif i == TAP_BLOCK:
                parts["tap"] = grid_pool(h, self.grid_kernel)
                parts["tap_global"] = h.mean(dim=(2, 3))
        parts["head"] = F.relu6(net._bn1(net._conv_head(h))).mean(dim=(2, 3))
        return parts

    def trunk(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Frozen part → (weighted fixed embedding parts, the learned part's input)."""
        parts = self.raw_parts(x)
        fixed = [WEIGHTS["pixels"] * unit(parts["pixels"])]
        for name in COMPONENTS:
            mean, basis = getattr(self, f"{name}_mean"), getattr(self, f"{name}_basis")
            fixed.append(WEIGHTS[name] * unit((unit(parts[name]) - mean) @ basis))
        if self.colour:
            fixed.append(WEIGHTS["colour"] * parts["colour"])
        return torch.cat(fixed, dim=1), torch.cat([parts["tap_global"], parts["head"]], dim=1)

    def top(self, fixed: torch.Tensor, learned_input: torch.Tensor) -> torch.Tensor:
        """Trained part: the learned projection joins the fixed parts; the whole is unit length."""
        learned = self.learned_weight * unit(self.head(learned_input))
        return unit(torch.cat([fixed, learned], dim=1))

    def embedding_parts(self) -> dict[str, tuple[int, int]]:
        """Where each part lies in this embedder's output (see embedding_parts)."""
        return embedding_parts(self.head.out_features, self.colour)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """NCHW images normalised to [-1, 1] → unit-length embeddings."""
        return self.top(*self.trunk(x))

    def part_outputs(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The projected parts' inputs (unit rows), in COMPONENTS order: what the fit reads."""
        parts = self.raw_parts(x)
        return tuple(unit(parts[name]) for name in COMPONENTS)

    @torch.no_grad()
    def fit_projections(self, parts: Sequence[torch.Tensor]) -> None:
        """Principal components of each backbone part (`part_outputs` of the run's training
        images, one tensor per part): centred, then the top COMPONENTS[name] directions."""
        for (name, k), feats in zip(COMPONENTS.items(), parts, strict=True):
            feats = feats.double()
            mean = feats.mean(dim=0)
            _, _, vt = torch.linalg.svd(feats - mean, full_matrices=False)
            basis = torch.zeros_like(getattr(self, f"{name}_basis"), dtype=torch.float64)
            keep = min(k, vt.shape[0])
            basis[:, :keep] = vt[:keep].T
            getattr(self, f"{name}_mean").copy_(mean.float())
            getattr(self, f"{name}_basis").copy_(basis.float())
