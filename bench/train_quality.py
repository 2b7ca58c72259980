"""How much does training buy? Held-out retrieval of our trainer vs baselines, same budget.

    python -m bench.train_quality [--minutes 3] [--seed 0] [--sets cards flags]

Per dataset (split by class, 30% held out, seeded): our triplet trainer; the same network
untrained; raw 32×32 pixels; perceptual hash (pHash, Hamming distance); and
pytorch-metric-learning's TripletMarginLoss + TripletMarginMiner on the same backbone, data,
augmentation, sampler, wall-clock budget and seed. Prints a markdown table of precision@1 and
MAP@R on the held-out classes. Models are scored as they stand at the end of the budget (no
checkpoint picked on the held-out classes), so both trainers are judged alike.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from lookalike.engine.image_loading import load_image
from lookalike.engine.retrieval_metrics import retrieval_metrics
from lookalike.train.baseline import raw_pixel_vectors
from lookalike.train.config import TrainConfig
from lookalike.train.embed import embed_images
from lookalike.train.epoch import Criterion, train_epoch, triplet_criterion
from lookalike.train.losses import LossResult
from lookalike.train.model import EmbeddingNet
from lookalike.train.prepared import PreparedData, prepare, preprocessing_for
from lookalike.train.sampler import PKSampler

DATASETS = Path("/work/shared/datasets")
Scores = dict[str, float]


def pml_criterion(cfg: TrainConfig, generator: torch.Generator) -> Criterion:
    """pytorch-metric-learning's loss and miner, wrapped to report like ours."""
    from pytorch_metric_learning import losses, miners

    loss_fn = losses.TripletMarginLoss(margin=cfg.margin)
    miner = miners.TripletMarginMiner(margin=cfg.margin, type_of_triplets="all")

    def criterion(emb: torch.Tensor, labels: torch.Tensor) -> LossResult:
        triplets = miner(emb, labels)
        n = len(triplets[0])
        return LossResult(loss_fn(emb, labels, triplets), n, n, math.nan, math.nan)

    return criterion


def train_for(
    cfg: TrainConfig,
    data: PreparedData,
    seconds: float,
    make_criterion: Callable[[TrainConfig, torch.Generator], Criterion],
) -> tuple[torch.nn.Module, int, float]:
    """Train from the seeded init until the wall-clock budget runs out; (model, epochs, img/s)."""
    torch.manual_seed(cfg.seed)
    model = EmbeddingNet(cfg.dim, cfg.width)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sampler = PKSampler(data.train_ids.tolist(), cfg.batch_classes, cfg.batch_images)
    tensors = (torch.from_numpy(data.train.images), torch.from_numpy(data.train_ids))
    deadline = time.monotonic() + seconds
    epoch, speeds = 0, []
    while time.monotonic() < deadline:
        result = train_epoch(model, optimizer, tensors, sampler, cfg, epoch, deadline, None, make_criterion)
        speeds.append(result.images_per_s)
        epoch += 1
    return model, epoch, float(np.mean(speeds)) if speeds else 0.0


def scores(vectors: np.ndarray, labels: Sequence[str]) -> Scores:
    """precision@1 and MAP@R with the engine's definitions."""
    r = retrieval_metrics(vectors, labels)
    return {"p@1": r.precision_at_1, "MAP@R": r.mean_average_precision_at_r}


def phash_vectors(paths: Sequence[str]) -> np.ndarray:
    """64 pHash bits as 0/1 floats: squared Euclidean distance between them is Hamming distance."""
    import imagehash

    bits = [imagehash.phash(load_image(p)).hash.astype(np.float32).ravel() for p in paths]
    return np.stack(bits)


def bench_dataset(name: str, minutes: float, seed: int, log: Callable[[str], None]) -> list[tuple]:
    """All methods on one dataset; rows of (dataset, method, scores, note)."""
    cfg = TrainConfig(data=(str(DATASETS / name),), out="/tmp/unused", seed=seed, threads=0)
    data = prepare(cfg, log)
    prep, cpu = preprocessing_for(cfg), torch.device("cpu")
    val = data.val
    rows: list[tuple] = []
    torch.manual_seed(seed)
    untrained = EmbeddingNet(cfg.dim, cfg.width)
    rows.append(
        (
            name,
            "same network, untrained",
            scores(embed_images(untrained, val.images, prep, cpu), val.labels),
            "",
        )
    )
    raw, kept = raw_pixel_vectors(val.paths, cfg.resize)
    rows.append((name, "raw pixels 32×32", scores(raw, [val.labels[i] for i in kept]), ""))
    rows.append((name, "pHash (Hamming)", scores(phash_vectors(val.paths), val.labels), ""))
    for method, factory in (
        ("ours: batch-all triplet", triplet_criterion),
        ("PML TripletMarginLoss + Miner", pml_criterion),
    ):
        log(f"{name}: training '{method}' for {minutes:g} min")
        model, epochs, speed = train_for(cfg, data, minutes * 60, factory)
        vec = embed_images(model, val.images, prep, cpu)
        rows.append((name, method, scores(vec, val.labels), f"{epochs} epochs, {speed:.0f} img/s"))
    return rows


def table(rows: list[tuple], minutes: float) -> str:
    """Markdown: one row per dataset and method."""
    lines = [
        f"Held-out classes, {minutes:g} min wall-clock training budget per trainer.",
        "",
        "| dataset | method | precision@1 | MAP@R | note |",
        "|---|---|---|---|---|",
    ]
    for name, method, s, note in rows:
        lines.append(f"| {name} | {method} | {s['p@1']:.3f} | {s['MAP@R']:.3f} | {note} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table to stdout."""
    p = argparse.ArgumentParser(prog="python -m bench.train_quality", description=__doc__)
    p.add_argument("--minutes", type=float, default=3.0, help="training budget per trainer")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sets", nargs="+", default=["cards", "flags"])
    args = p.parse_args(argv)
    from lookalike.train.loop import log_stderr, pick_threads

    torch.set_num_threads(pick_threads(0))
    rows = [r for name in args.sets for r in bench_dataset(name, args.minutes, args.seed, log_stderr)]
    print(table(rows, args.minutes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
