"""`lookalike train` and `lookalike export`: argparse glue only; torch loads when a command runs."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from lookalike.engine.errors import LookalikeError
from lookalike.engine.io.output_paths import check_output_path, is_lookalike_onnx
from lookalike.train.config import BACKBONES, DEFAULT_EPOCHS, DEVICES, MINERS, TrainConfig, recipe_defaults
from lookalike.train.loop.run_files import check_run_out

EXIT_USAGE = 2
# Under a time budget with no --epochs, the budget or early stopping ends the run, not an epoch count.
BUDGET_EPOCHS = 10_000


def register_train(sub: argparse._SubParsersAction) -> None:
    """Add `lookalike train DATA... --out RUN` to the lookalike command."""
    d = TrainConfig(data=("x",), out="x")
    p = sub.add_parser(
        "train",
        help="train a triplet-loss embedder on DATA/CLASS/IMAGE folders",
        description="Train on some classes, validate on held-out classes, export RUN/model.onnx.",
    )
    p.add_argument("data", nargs="+", metavar="DATA", help="folder(s) of class sub-folders")
    p.add_argument("--out", required=True, metavar="RUN", help="run folder for checkpoints")
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"epoch cap (default {d.epochs}; with --max-minutes none: the budget or a plateau ends the run)",
    )
    p.add_argument("--max-minutes", type=float, default=None, help="wall-clock budget")
    p.add_argument("--val-classes", type=float, default=d.val_classes, help="fraction or count")
    p.add_argument("--mining", choices=MINERS, default=d.mining)
    p.add_argument("--margin", type=float, default=d.margin)
    p.add_argument("--dim", type=int, default=d.dim, help="embedding size")
    p.add_argument(
        "--backbone",
        choices=BACKBONES,
        default=d.backbone,
        help="hybrid (default): frozen ImageNet EfficientNet-Lite0 parts and pixels plus a trained "
        "part; efficientnet_lite0: the same backbone fine-tuned; compact: a small network from scratch",
    )
    p.add_argument(
        "--learned-weight", type=float, default=d.learned_weight, help="hybrid: weight of the trained part"
    )
    p.add_argument("--tune-blocks", type=int, default=d.tune_blocks, help="top backbone blocks to fine-tune")
    p.add_argument("--width", type=int, default=d.width, help="compact backbone: first-stage channels")
    p.add_argument("--image-size", type=int, default=d.image_size, help="model input side (px)")
    p.add_argument("--batch-classes", type=int, default=d.batch_classes, help="P")
    p.add_argument("--batch-images", type=int, default=d.batch_images, help="K")
    p.add_argument("--lr", type=float, default=None, help="head rate (default: 1e-3, compact 3e-3)")
    p.add_argument("--patience", type=int, default=d.patience, help="early-stopping epochs")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--device", choices=DEVICES, default=d.device)
    p.add_argument("--threads", type=int, default=d.threads, help="CPU threads (0 = auto)")
    p.add_argument("--resume", metavar="CKPT", default=None, help="continue from last.pt (same DATA)")
    p.add_argument("--force", action="store_true", help="replace files in RUN that are not ours")
    p.add_argument("--no-augment", action="store_true", help="train on unaltered images")
    p.add_argument("--flip", action=argparse.BooleanOptionalAction, default=False, help="horizontal flips")
    p.add_argument(
        "--exclude",
        nargs="*",
        default=list(d.exclude),
        metavar="PATTERN",
        help="file names never used (default: emoji_*, reserved for evaluation); none: --exclude",
    )
    p.add_argument("--int8", action="store_true", help="also export RUN/model.int8.onnx (quantised)")
    p.add_argument("--dry-run", action="store_true", help="stop after one batch")
    p.add_argument("--marks", metavar="FILE", default=None, help="pair marks (JSON/CSV) from the app")
    p.add_argument(
        "--start-from",
        metavar="MODEL",
        default=None,
        help="hybrid: start from this model's learned part and projections (e.g. the app's model)",
    )
    p.add_argument("--progress-json", action="store_true", help="JSON lines on stdout (for the app)")
    p.set_defaults(func=_train)


def register_export(sub: argparse._SubParsersAction) -> None:
    """Add `lookalike export CKPT --out model.onnx` to the lookalike command."""
    p = sub.add_parser(
        "export",
        help="export a training checkpoint to ONNX with its manifest",
        description="Calibrate on the run's held-out classes and write a checked ONNX model.",
    )
    p.add_argument("checkpoint", metavar="CKPT", help="best.pt or last.pt of a run")
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument("--force", action="store_true", help="replace an existing file that is not ours")
    p.add_argument(
        "--int8",
        action="store_true",
        help="also write OUT with .int8.onnx: int8-quantised, its held-out quality reported",
    )
    p.set_defaults(func=_export)


def epoch_cap(epochs: int | None, max_minutes: float | None) -> int:
    """The epochs a run may take: as given; else, under a time budget, as many as the budget allows
    (early stopping still ends a run that stopped improving); else the default."""
    if epochs is not None:
        return epochs
    return BUDGET_EPOCHS if max_minutes else DEFAULT_EPOCHS


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The frozen run config from parsed arguments (raises ValueError on bad values)."""
    recipe = recipe_defaults(args.backbone)
    augment = replace(recipe["augment"], enabled=not args.no_augment, flip=args.flip)
    return TrainConfig(
        data=tuple(args.data),
        out=args.out,
        epochs=epoch_cap(args.epochs, args.max_minutes),
        max_minutes=args.max_minutes,
        val_classes=args.val_classes,
        mining=args.mining,
        margin=args.margin,
        dim=args.dim,
        backbone=args.backbone,
        tune_blocks=args.tune_blocks,
        learned_weight=args.learned_weight,
        width=args.width,
        image_size=args.image_size,
        batch_classes=args.batch_classes,
        batch_images=args.batch_images,
        lr=recipe["lr"] if args.lr is None else args.lr,
        patience=args.patience,
        seed=args.seed,
        device=args.device,
        resume=args.resume,
        threads=args.threads,
        dry_run=args.dry_run,
        marks=args.marks,
        start_from=args.start_from,
        exclude=tuple(args.exclude),
        int8=args.int8,
        augment=augment,
    )


def _train(args: argparse.Namespace) -> int:
    problem = _missing(list(args.data) + [f for f in (args.resume, args.marks, args.start_from) if f])
    if problem:
        return _fail(problem)
    try:
        cfg = config_from_args(args)
        check_run_out(Path(args.out), [Path(d) for d in _data_read(cfg)], force=args.force)
        if cfg.start_from:  # refused before any data is read, not after minutes of preparation
            from lookalike.train.models.start_weights import start_tensors

            start_tensors(Path(cfg.start_from), cfg.image_size)
    except (ValueError, LookalikeError) as exc:
        return _fail(str(exc))
    if args.progress_json:
        from lookalike.train.loop.progress_json import train_with_json_progress

        return train_with_json_progress(cfg)
    from lookalike.train.export.report import comparison_table
    from lookalike.train.loop.trainer import run

    try:
        result = run(cfg)
    except (ValueError, LookalikeError) as exc:  # DataError, bad resume or start files: input problems
        return _fail(str(exc))
    if result.export is not None:
        print(comparison_table(result.export))
    print(f"training speed: {result.images_per_s:.0f} images/s")
    return 0


def _data_read(cfg: TrainConfig) -> tuple[str, ...]:
    """The folders the run will really read: on --resume, the checkpoint's (refused when DATA differs)."""
    if cfg.resume is None:
        return cfg.data
    from lookalike.train.loop.trainer import resume_config

    return resume_config(cfg)[0].data


def _export(args: argparse.Namespace) -> int:
    problem = _missing([args.checkpoint])
    if problem:
        return _fail(problem)
    try:
        check_output_path(
            Path(args.out),
            reads=[Path(args.checkpoint), *_folders_read(Path(args.checkpoint))],
            suffixes=[".onnx"],
            flag="--out",
            force=args.force,
            is_ours=is_lookalike_onnx,
        )
    except (ValueError, LookalikeError) as exc:
        return _fail(str(exc))
    from lookalike.train.export.from_checkpoint import export_checkpoint
    from lookalike.train.export.report import comparison_table

    try:
        report = export_checkpoint(Path(args.checkpoint), Path(args.out), int8=args.int8)
    except ValueError as exc:
        return _fail(str(exc))
    print(comparison_table(report))
    return 0


def _folders_read(checkpoint: Path) -> list[Path]:
    """The data folders an export calibrates on (the checkpoint's own): never written into."""
    from lookalike.train.data.provenance import stored_folders
    from lookalike.train.loop.checkpoint import load_checkpoint

    return [Path(f) for f in stored_folders(load_checkpoint(checkpoint), checkpoint)]


def _missing(paths: list[str]) -> str | None:
    for path in paths:
        if not Path(path).exists():
            return f"not found: {path}"
    return None


def _fail(message: str) -> int:
    print(f"lookalike: error: {message}", file=sys.stderr)
    return EXIT_USAGE
