"""How much does training buy? Held-out retrieval of each recipe vs baselines, same budget.

    python -m bench.model.train_quality [--minutes 2] [--seed 0] [--sets cards flags] [--old-model PATH]

Per dataset (split by class, 30% held out, seeded; emoji_* files excluded): raw 32×32 pixels;
the previous bundled model (if given: `git show 8e8347e:assets/model.onnx > old.onnx`); the
pretrained EfficientNet-Lite0 with no fine-tuning (its pooled features); today's compact recipe
(the network trained from scratch); the new recipe (pretrained backbone, `lookalike train`
defaults); and pytorch-metric-learning's TripletMarginLoss + TripletMarginMiner on the same
pretrained backbone, data, sampler, schedule and wall-clock budget. Every trainer is
`lookalike.train.loop.trainer.run` with a time budget; its best checkpoint (picked on a subset of the
held-out classes, the same rule for all) is scored on every held-out image.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from lookalike.engine.metrics.retrieval import retrieval_metrics
from lookalike.train.config import TrainConfig, recipe_defaults
from lookalike.train.data.prepared import PreparedData, prepare, preprocessing_for
from lookalike.train.export.baseline import raw_pixel_vectors
from lookalike.train.loop.checkpoint import load_checkpoint
from lookalike.train.loop.embed import embed_images
from lookalike.train.loop.epoch import Criterion
from lookalike.train.losses.triplet import LossResult
from lookalike.train.models.networks import build_model

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
Scores = dict[str, float]
Row = tuple[str, str, Scores, str]


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


def scores(vectors: np.ndarray, labels: Sequence[str]) -> Scores:
    """precision@1 and MAP@R with the engine's definitions."""
    r = retrieval_metrics(vectors, labels)
    return {"p@1": r.precision_at_1, "MAP@R": r.mean_average_precision_at_r}


def trained_scores(cfg: TrainConfig, data: PreparedData, criterion: str, log: Callable[[str], None]) -> Row:
    """Run the trainer under the budget, reload its best checkpoint, score every held-out image."""
    from lookalike.train.loop.epoch import triplet_criterion
    from lookalike.train.loop.trainer import run

    factory = pml_criterion if criterion == "pml" else triplet_criterion
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-train-") as out:
        result = run(replace(cfg, out=out, export=False), log, factory)
        model = build_model(cfg, pretrained=False)
        model.load_state_dict(load_checkpoint(Path(out) / "best.pt")["model"])
    vectors = embed_images(model, data.val.images, preprocessing_for(cfg), torch.device("cpu"))
    state = result.state
    note = f"{state.epoch} epochs, {result.images_per_s:.0f} img/s, best epoch {state.best_epoch}"
    return ("", "", scores(vectors, data.val.labels), note)


def untrained_scores(cfg: TrainConfig, data: PreparedData) -> Scores:
    """The pretrained backbone's pooled features, no fine-tuning (cosine on unit vectors)."""
    from lookalike.train.data.normalization import normalize_torch
    from lookalike.train.models.pretrained import PretrainedEmbedder

    model = PretrainedEmbedder(cfg.dim, cfg.tune_blocks).eval()
    prep = preprocessing_for(cfg)
    chunks = []
    with torch.no_grad():
        for i in range(0, len(data.val), 128):
            x = normalize_torch(torch.from_numpy(data.val.images[i : i + 128]), prep)
            chunks.append(model.pooled_features(x).numpy())
    feats = np.concatenate(chunks)
    return scores(feats / np.linalg.norm(feats, axis=1, keepdims=True), data.val.labels)


def onnx_scores(path: Path, data: PreparedData) -> Scores:
    """A model file run by the engine (its own preprocessing) on the held-out images' files."""
    from lookalike.engine.model.embedder import Embedder

    embedder = Embedder(path, device="cpu")
    vectors = np.stack([embedder.embed_file(p) for p in data.val.paths])
    return scores(vectors, data.val.labels)


def bench_dataset(
    name: str, minutes: float, seed: int, old: Path | None, log: Callable[[str], None]
) -> list[Row]:
    """All methods on one dataset."""
    base = TrainConfig(data=(str(DATASETS / name),), out="/tmp/unused", seed=seed, max_minutes=minutes)
    data = prepare(base, log)
    rows: list[Row] = []
    raw, kept = raw_pixel_vectors(data.val.paths, base.resize)
    rows.append((name, "raw pixels 32×32", scores(raw, [data.val.labels[i] for i in kept]), ""))
    if old is not None:
        rows.append((name, "previous bundled model", onnx_scores(old, data), str(old.name)))
    rows.append((name, "EfficientNet-Lite0 ImageNet, no fine-tuning", untrained_scores(base, data), ""))
    compact = replace(base, backbone="compact", **recipe_defaults("compact"))
    for method, cfg, criterion in (
        ("compact recipe (from scratch)", compact, "ours"),
        ("new recipe (pretrained, default options)", base, "ours"),
        ("PML TripletMarginLoss + Miner, same backbone", base, "pml"),
    ):
        log(f"{name}: training '{method}' for {minutes:g} min")
        _, _, s, note = trained_scores(cfg, data, criterion, log)
        rows.append((name, method, s, note))
    return rows


def table(rows: list[Row], minutes: float) -> str:
    """Markdown: one row per dataset and method."""
    lines = [
        f"Held-out classes, {minutes:g} min wall-clock budget per trainer (image loading included).",
        "",
        "| dataset | method | precision@1 | MAP@R | note |",
        "|---|---|---|---|---|",
    ]
    for name, method, s, note in rows:
        lines.append(f"| {name} | {method} | {s['p@1']:.3f} | {s['MAP@R']:.3f} | {note} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the table and save it to bench/results/train_quality.md."""
    p = argparse.ArgumentParser(prog="python -m bench.model.train_quality", description=__doc__)
    p.add_argument("--minutes", type=float, default=2.0, help="training budget per trainer")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sets", nargs="+", default=["cards", "flags"])
    p.add_argument("--old-model", type=Path, default=None, help="the previous default model, to compare")
    args = p.parse_args(argv)
    from lookalike.train.loop.trainer import log_stderr

    from bench.common import Report

    rows = [
        r for n in args.sets for r in bench_dataset(n, args.minutes, args.seed, args.old_model, log_stderr)
    ]
    rep = Report("train_quality", "Training quality: held-out retrieval per recipe, same budget")
    rep.add(table(rows, args.minutes), "")
    rep.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
