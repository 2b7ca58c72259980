"""`make model`: retrain the bundled default model and its model card, reproducibly.

    python -m lookalike.train.default_model [--datasets ../shared/datasets] [--max-minutes 22]

Trains the hybrid embedder (train/models/hybrid.py: fixed pixel and ImageNet EfficientNet-Lite0
parts plus a part learned with the triplet loss) on the training classes of cards, flags (emoji_*
files excluded: reserved for evaluation), fashion-mnist, glyphs and pieces (30% of each set's
classes held out, seed 0), then writes assets/model.onnx and assets/MODEL.md. The card compares
the new model, per held-out set, with raw pixels and with the previous bundled model (read from
git, PREVIOUS_MODEL_COMMIT), all scored by this run; then its thresholds are calibrated again
with crops of the shared photos among the duplicate calibration's pictures
(lookalike.train.export.recalibrate, as the bundled model was).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from lookalike.train.command import BUDGET_EPOCHS
from lookalike.train.config import TrainConfig

ASSETS = Path(__file__).resolve().parents[1] / "assets"
REPO = ASSETS.parent
DATASETS = REPO.parent / "shared" / "datasets"  # ../shared beside the repo
SETS = ("cards", "flags", "fashion-mnist/folder", "glyphs", "pieces")
# For kinds of image it never saw: chosen leaving one kind out (bench/results/transfer.md).
LEARNED_WEIGHT = 0.5
# Unlabelled photos whose crops join the duplicate calibration (the training run's own export
# calibrates on the held-out classes alone): a photo folder is what users most often scan.
PHOTOS = "photos"
PREVIOUS_MODEL_COMMIT = "33e0a11"  # the fine-tuned EfficientNet-Lite0 bundled before the hybrid


def default_config(datasets: Path, out: Path, max_minutes: float) -> TrainConfig:
    """The bundled model's recipe; change it here and the model card follows."""
    return TrainConfig(
        data=tuple(str(datasets / s) for s in SETS),
        out=str(out),
        epochs=BUDGET_EPOCHS,  # the budget or a plateau stops it
        max_minutes=max_minutes,
        val_classes=0.3,
        backbone="hybrid",
        learned_weight=LEARNED_WEIGHT,
        tune_blocks=0,
        trunk_views=2,
        mining="batch-all",
        margin=0.2,
        dim=128,
        image_size=64,
        resize="letterbox",
        batch_classes=16,
        batch_images=4,
        seed=0,
        patience=6,
        val_limit=2000,
        int8=True,
        device="auto",
    )


def previous_model(out: Path) -> Path | None:
    """The previously bundled model, extracted from git into the run folder (None without git)."""
    target = out / "previous_model.onnx"
    try:
        blob = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{PREVIOUS_MODEL_COMMIT}:assets/model.onnx"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    out.mkdir(parents=True, exist_ok=True)
    target.write_bytes(blob)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Train, copy the model into assets/ and write the model card."""
    p = argparse.ArgumentParser(prog="python -m lookalike.train.default_model", description=__doc__)
    p.add_argument("--datasets", type=Path, default=DATASETS)
    p.add_argument("--out", type=Path, default=Path("runs/default-model"))
    p.add_argument("--max-minutes", type=float, default=22.0)
    args = p.parse_args(argv)
    missing = [s for s in SETS if not (args.datasets / s).is_dir()]
    if missing:
        print(f"default_model: error: missing under {args.datasets}: {missing}", file=sys.stderr)
        return 2
    from lookalike.train.export.comparison import compare_models
    from lookalike.train.export.model_card import write_model_card
    from lookalike.train.export.recalibrate import main as recalibrate
    from lookalike.train.export.report import comparison_table
    from lookalike.train.loop.trainer import log_stderr, run

    cfg = default_config(args.datasets, args.out, args.max_minutes)
    previous = previous_model(args.out)
    result = run(cfg)
    if result.export is None:
        print("default_model: error: training produced no model", file=sys.stderr)
        return 1
    comparison = compare_models(cfg, result.export, previous, log_stderr)
    ASSETS.mkdir(exist_ok=True)
    shutil.copyfile(result.export.path, ASSETS / "model.onnx")
    write_model_card(ASSETS / "MODEL.md", cfg, result, comparison)
    if (args.datasets / PHOTOS).is_dir():  # what ships: duplicates calibrated on photo crops too
        recalibrate(
            [
                str(ASSETS / "model.onnx"),
                "--data-root",
                str(args.datasets),
                "--photos",
                str(args.datasets / PHOTOS),
            ]
        )
    print(comparison_table(result.export))
    print(f"wrote {ASSETS / 'model.onnx'} and {ASSETS / 'MODEL.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
