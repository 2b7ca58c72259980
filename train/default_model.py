"""`make model`: retrain the bundled default model and its model card, reproducibly.

    python -m lookalike.train.default_model [--datasets ../shared/datasets] [--max-minutes 17]

Trains on the training classes of cards, flags and fashion-mnist (30% of each set's classes
held out, seed 0), then writes assets/model.onnx and assets/MODEL.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from lookalike.train.config import TrainConfig

ASSETS = Path(__file__).resolve().parents[1] / "assets"
DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"  # ../shared beside the repo
SETS = ("cards", "flags", "fashion-mnist/folder")


def default_config(datasets: Path, out: Path, max_minutes: float) -> TrainConfig:
    """The bundled model's recipe; change it here and the model card follows."""
    return TrainConfig(
        data=tuple(str(datasets / s) for s in SETS),
        out=str(out),
        epochs=14,
        max_minutes=max_minutes,
        val_classes=0.3,
        mining="batch-all",
        margin=0.2,
        dim=128,
        width=24,
        image_size=64,
        resize="letterbox",
        batch_classes=16,
        batch_images=4,
        lr=2e-3,
        seed=0,
        patience=6,
        device="auto",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Train, copy the model into assets/ and write the model card."""
    p = argparse.ArgumentParser(prog="python -m lookalike.train.default_model", description=__doc__)
    p.add_argument("--datasets", type=Path, default=DATASETS)
    p.add_argument("--out", type=Path, default=Path("runs/default-model"))
    p.add_argument("--max-minutes", type=float, default=17.0)
    args = p.parse_args(argv)
    missing = [s for s in SETS if not (args.datasets / s).is_dir()]
    if missing:
        print(f"default_model: error: missing under {args.datasets}: {missing}", file=sys.stderr)
        return 2
    from lookalike.train.loop import run
    from lookalike.train.model_card import write_model_card
    from lookalike.train.report import comparison_table

    cfg = default_config(args.datasets, args.out, args.max_minutes)
    result = run(cfg)
    if result.export is None:
        print("default_model: error: training produced no model", file=sys.stderr)
        return 1
    ASSETS.mkdir(exist_ok=True)
    shutil.copyfile(result.export.path, ASSETS / "model.onnx")
    write_model_card(ASSETS / "MODEL.md", cfg, result)
    print(comparison_table(result.export))
    print(f"wrote {ASSETS / 'model.onnx'} and {ASSETS / 'MODEL.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
