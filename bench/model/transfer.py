"""Leave one kind out: a recipe trained without a kind of image, scored on that kind.

    python -m bench.model.transfer [--minutes 3] [--image-size 64] [--kinds cards flags ...] [--seed 0]

The proxy for a user's folder: for each shared set S (cards, flags without `emoji_*`,
fashion-mnist, glyphs, pieces), the default recipe (`lookalike train` defaults, a time budget) is
trained on the *other* sets only and scored on S's held-out classes (30 % of its classes, seeded,
the split every other benchmark uses). Beside it, on the same images: raw 32×32 pixels and the
untuned ImageNet EfficientNet-Lite0's pooled features at the same input size. Every model decision
(input size, what trains, the training mix) is to be read off this table, not off held-out classes
of the sets a model trained on. Run it alone on the machine (training runs on a wall-clock budget).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import torch
from lookalike.train.config import TrainConfig
from lookalike.train.data.prepared import PreparedData, prepare, preprocessing_for
from lookalike.train.default_model import LEARNED_WEIGHT
from lookalike.train.export.baseline import raw_pixel_vectors
from lookalike.train.loop.checkpoint import load_checkpoint
from lookalike.train.loop.embed import embed_images
from lookalike.train.models.networks import build_model

from bench.model.train_quality import Scores, scores, untrained_scores

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
KINDS = {
    "cards": "cards",
    "flags": "flags",
    "fashion-mnist": "fashion-mnist/folder",
    "glyphs": "glyphs",
    "pieces": "pieces",
}


def held_out(kind: str, cfg: TrainConfig, log: Callable[[str], None]) -> PreparedData:
    """The left-out kind's held-out classes, preloaded at the recipe's input size."""
    return prepare(replace(cfg, data=(str(DATASETS / KINDS[kind]),)), log)


def trained_without(
    kind: str, cfg: TrainConfig, target: PreparedData, log: Callable[[str], None]
) -> tuple[Scores, str]:
    """Train on every other kind under the budget; score the best checkpoint on the left-out kind."""
    from lookalike.train.loop.trainer import run

    others = tuple(str(DATASETS / path) for name, path in KINDS.items() if name != kind)
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-transfer-") as out:
        result = run(replace(cfg, data=others, out=out, export=False), log)
        if not (Path(out) / "best.pt").is_file():
            raise SystemExit(f"no epoch finished within {cfg.max_minutes:g} min: give --minutes more")
        model = build_model(cfg, pretrained=False)
        model.load_state_dict(load_checkpoint(Path(out) / "best.pt")["model"])
    vectors = embed_images(model, target.val.images, preprocessing_for(cfg), torch.device("cpu"))
    state = result.state
    note = f"{state.epoch} epochs, best {state.best_epoch}, {result.images_per_s:.0f} img/s"
    return scores(vectors, target.val.labels), note


def bench_kind(kind: str, cfg: TrainConfig, log: Callable[[str], None]) -> list[str]:
    """Table rows for one left-out kind: raw pixels, untuned backbone, the recipe."""
    target = held_out(kind, cfg, log)
    raw, kept = raw_pixel_vectors(target.val.paths, cfg.resize)
    rows = [("raw pixels 32×32", scores(raw, [target.val.labels[i] for i in kept]), "")]
    rows.append((f"untuned EfficientNet-Lite0, {cfg.image_size} px", untrained_scores(cfg, target), ""))
    log(f"{kind}: training on the other kinds for {cfg.max_minutes:g} min")
    trained, note = trained_without(kind, cfg, target, log)
    rows.append((f"recipe trained without {kind}", trained, note))
    n = f"{len(target.val)} images, {len(set(target.val.labels))} classes"
    return [f"| {kind} ({n}) | {m} | {s['p@1']:.3f} | {s['MAP@R']:.3f} | {note} |" for m, s, note in rows]


def main(argv: Sequence[str] | None = None) -> int:
    """Run every kind, print the table, save bench/results/transfer.md."""
    p = argparse.ArgumentParser(prog="python -m bench.model.transfer", description=__doc__)
    p.add_argument("--minutes", type=float, default=3.0, help="training budget per left-out kind")
    p.add_argument("--image-size", type=int, default=TrainConfig(data=("x",), out="x").image_size)
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report", default="transfer", help="saved as bench/results/REPORT.md")
    p.add_argument("--learned-weight", type=float, default=LEARNED_WEIGHT, help="the default model's")
    args = p.parse_args(argv)
    from lookalike.train.command import BUDGET_EPOCHS
    from lookalike.train.loop.trainer import log_stderr

    from bench.common import Report

    cfg = TrainConfig(
        data=("x",),
        out="x",
        seed=args.seed,
        max_minutes=args.minutes,
        image_size=args.image_size,
        epochs=BUDGET_EPOCHS,  # as `lookalike train --max-minutes`: the budget or a plateau stops it
        learned_weight=args.learned_weight,
    )
    rep = Report(args.report, "Leave one kind out: trained without a kind, scored on it")
    rep.add(
        f"Default recipe ({cfg.backbone}, learned weight {cfg.learned_weight:g}), {args.minutes:g} min "
        f"per left-out kind, input {args.image_size} px, seed {args.seed}.",
        "",
        "| left-out kind | method | precision@1 | MAP@R | note |",
        "|---|---|---|---|---|",
    )
    for kind in args.kinds:
        rep.add(*bench_kind(kind, cfg, log_stderr))
    rep.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
