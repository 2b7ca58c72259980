"""Write assets/MODEL.md from a finished run, so the card's numbers are the model's own."""

from __future__ import annotations

import os
from pathlib import Path

from lookalike.engine.embedder import file_sha256
from lookalike.train.config import TrainConfig
from lookalike.train.loop import RunResult

COMMAND = "python -m lookalike.train.default_model   # (the Makefile's `make model`)"


def write_model_card(path: Path, cfg: TrainConfig, result: RunResult) -> None:
    """Render the card: data, split, command, held-out metrics vs raw pixels, thresholds, limits."""
    report = result.export
    if report is None:
        raise ValueError("the run exported no model")
    manifest_path = path.parent / "model.onnx"
    rows = _metric_rows(report.per_dataset, report.metrics, report.baseline)
    thresholds = "\n".join(f"| `{k}` | {v:.4f} |" for k, v in sorted(report.thresholds.items()))
    state = result.state
    text = TEMPLATE.format(
        sha=file_sha256(manifest_path)[:16],
        size_kb=manifest_path.stat().st_size // 1024,
        sets=", ".join(f"`{os.path.relpath(d, os.path.commonpath(cfg.data))}`" for d in cfg.data),
        command=COMMAND,
        cfg=cfg,
        epochs=state.epoch,
        best=state.best_epoch,
        minutes=state.train_seconds / 60,
        speed=result.images_per_s,
        rows=rows,
        thresholds=thresholds,
        auc=report.metrics["roc_auc"],
        val=report.metrics["val_at_far_1e-3"],
        parity=report.parity_diff,
        w8=cfg.width * 8,
        val_pct=round(cfg.val_classes * 100),
        held_out=_held_out_lists(Path(cfg.out) / "split.json"),
    )
    path.write_text(text, encoding="utf-8")


def _held_out_lists(split_json: Path) -> str:
    """Name the held-out classes of the small sets (the big ones only by count)."""
    from lookalike.train.class_split import load_split
    from lookalike.train.data import dataset_of

    groups: dict[str, list[str]] = {}
    for name in load_split(split_json).val:
        groups.setdefault(dataset_of(name), []).append(name.split("/", 1)[-1])
    lines = []
    for group, names in sorted(groups.items()):
        shown = ", ".join(names) if len(names) <= 16 else f"{len(names)} classes"
        lines.append(f"- {group or 'held out'}: {shown}")
    return "\n".join(lines)


def _metric_rows(
    per_dataset: dict[str, dict[str, dict[str, float]]],
    overall: dict[str, float],
    baseline: dict[str, float],
) -> str:
    lines = []
    items = [*per_dataset.items(), ("all held-out", {"trained": overall, "raw_pixels_32": baseline})]
    for name, d in items:
        t, r = d["trained"], d["raw_pixels_32"]
        lines.append(
            f"| {name} | {t['precision_at_1']:.3f} | {r['precision_at_1']:.3f} | "
            f"{t['mean_average_precision_at_r']:.3f} | {r['mean_average_precision_at_r']:.3f} |"
        )
    return "\n".join(lines)


TEMPLATE = """# Lookalike default model

`assets/model.onnx` ({size_kb} KB, sha256 `{sha}…`): a compact ResNet (4 residual stages,
widths {cfg.width}–{w8}) that maps a {cfg.image_size}×{cfg.image_size} RGB image to a
unit-length {cfg.dim}-d embedding; similar images are close in Euclidean distance. The
preprocessing (letterbox resize on white, mean/std 0.5), embedding size, distance, thresholds,
histograms and training summary are stored in the ONNX metadata (`lookalike.manifest`); the
engine reads them from there.

## Data and split

Trained on {sets} from `/work/shared/datasets` (see `assets/samples/PROVENANCE.md` for sources
and licences). The split is by class: {val_pct}% of each set's classes (seed {cfg.seed}) were held
out and never seen in training; all numbers below are on those held-out classes. The class lists
are in the manifest (`training.val_class_names`) and in the run's `split.json`:

{held_out}

## Recipe

Triplet margin loss (FaceNet, margin {cfg.margin}, Euclidean distance) with `{cfg.mining}`
mining over P×K batches ({cfg.batch_classes} classes × {cfg.batch_images} images), AdamW lr
{cfg.lr} with cosine decay, batched augmentation (random resized crop, ±8° rotation, colour
jitter; no horizontal flip: flags and cards change identity when mirrored). {epochs} epochs in
{minutes:.1f} minutes of training ({speed:.0f} images/s on a shared 2-core CPU); best epoch {best} by
held-out MAP@R (so the figures below are slightly optimistic: the epoch was picked on them).

Reproduce:

```
{command}
```

## Held-out quality vs the raw-pixel baseline

Baseline: nearest neighbour on raw 32×32 pixels of the same images.

| held-out classes | precision@1 model | precision@1 raw pixels | MAP@R model | MAP@R raw pixels |
|---|---|---|---|---|
{rows}

Verification on all held-out pairs: ROC AUC {auc:.3f}, VAL@FAR=1e-3 {val:.3f}.
ONNX Runtime vs torch max |difference| at export: {parity:.1e}.

## Calibrated thresholds (Euclidean distance, held-out classes)

| key | threshold |
|---|---|
{thresholds}

The app's default is the loosest FAR point (`far_1e-2`, else `far_1e-3`) whose precision on these
held-out pairs is at least 0.5 (engine/default_threshold.py); `far_1e-3` / `far_1e-2` accept about
0.1% / 1% of different-class pairs.

## Limits

- Small and fast rather than strong: trained for minutes on ~4,000 small images of three kinds
  (playing cards, flags, grey garment photos). Other image kinds (photos of people, scenes,
  documents) are out of distribution: retrain with `lookalike train` on your own folders.
- Input is {cfg.image_size} px: fine detail (small print, corner indices of cards) is partly lost.
- Thresholds were calibrated on the held-out classes of these sets; on other data recalibrate
  with `lookalike evaluate` on a labelled folder.
- Mirror images are not treated as the same (no flip augmentation).
- Compare each row with its raw-pixel baseline: where the model does not beat it (in this
  build, the held-out Fashion-MNIST classes coat, dress and pullover, the three garments that
  are hardest to tell apart, learned from only 7 training classes), raw pixels are as good.
"""
