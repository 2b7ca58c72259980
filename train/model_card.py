"""Write assets/MODEL.md from a finished run, so the card's numbers are the model's own.

Every figure and list on the card comes from the run (its config, manifest, split and metrics);
the template's own words only say what the code does whatever the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lookalike.engine.embedder import Embedder, file_sha256
from lookalike.train.config import TrainConfig
from lookalike.train.data import root_name
from lookalike.train.loop import RunResult

COMMAND = "python -m lookalike.train.default_model   # (the Makefile's `make model`)"


def write_model_card(path: Path, cfg: TrainConfig, result: RunResult) -> None:
    """Render the card: data, split, command, held-out metrics vs raw pixels, thresholds, limits."""
    report = result.export
    if report is None:
        raise ValueError("the run exported no model")
    model_path = report.path
    manifest = Embedder(model_path, device="cpu").manifest
    training, prep, aug = manifest.training, manifest.preprocessing, cfg.augment
    state = result.state
    text = TEMPLATE.format(
        sha=file_sha256(model_path)[:16],
        size_kb=model_path.stat().st_size // 1024,
        parameters=training.get("parameters", 0),
        prep=prep,
        sets=", ".join(f"`{root_name(d)}`" for d in cfg.data),
        command=COMMAND,
        cfg=cfg,
        augmentation=_augmentation(cfg),
        epochs=state.epoch,
        best=state.best_epoch,
        minutes=state.train_seconds / 60,
        speed=result.images_per_s,
        train_images=training.get("train_images", 0),
        train_classes=training.get("train_classes", 0),
        rows=_metric_rows(report.per_dataset, report.metrics, report.baseline),
        thresholds="\n".join(f"| `{k}` | {v:.4f} |" for k, v in sorted(report.thresholds.items())),
        auc=report.metrics["roc_auc"],
        val=report.metrics["val_at_far_1e-3"],
        parity=report.parity_diff,
        val_classes=training.get("val_classes", 0),
        held_out=_held_out_lists(Path(cfg.out) / "split.json"),
        mirror=""
        if aug.enabled and aug.flip
        else "\n- Mirror images are not treated as the same (no flip augmentation).",
        not_better=_not_better(report.per_dataset, report.metrics, report.baseline),
    )
    path.write_text(text, encoding="utf-8")


def _augmentation(cfg: TrainConfig) -> str:
    """The augmentation as configured for this run."""
    aug = cfg.augment
    if not aug.enabled:
        return "no augmentation"
    parts = [
        f"random resized crop (scale {aug.crop_scale[0]:g}–{aug.crop_scale[1]:g})",
        f"±{aug.max_rotation_deg:g}° rotation",
        f"colour jitter (brightness {aug.brightness:g}, contrast {aug.contrast:g}, "
        f"saturation {aug.saturation:g})",
        "horizontal flips" if aug.flip else "no horizontal flip",
    ]
    return "batched augmentation: " + ", ".join(parts)


def _not_better(
    per_dataset: dict[str, dict[str, dict[str, float]]], overall: dict[str, float], baseline: dict[str, float]
) -> str:
    """Name the held-out rows where the model does not beat raw pixels on precision@1, if any."""
    items: list[tuple[str, dict[str, Any]]] = [
        *per_dataset.items(),
        ("all held-out", {"trained": overall, "raw_pixels_32": baseline}),
    ]
    worse = [
        name for name, d in items if d["trained"]["precision_at_1"] <= d["raw_pixels_32"]["precision_at_1"]
    ]
    if not worse:
        return ""
    return (
        "\n- In this run the model does not beat raw pixels on precision@1 for: "
        + ", ".join(worse)
        + "; there, raw pixels are as good."
    )


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

`assets/model.onnx` ({size_kb} KB, sha256 `{sha}…`, {parameters:,} parameters) maps a
{prep.input_size}×{prep.input_size} RGB image ({prep.resize} resize) to a unit-length {cfg.dim}-d
embedding; similar images are close in {cfg.distance} distance. The preprocessing, embedding size,
distance, thresholds, histograms and training summary are stored in the ONNX metadata
(`lookalike.manifest`); the engine reads them from there.

## Data and split

Trained on {sets} ({train_images:,} training images in {train_classes} classes; see
`assets/samples/PROVENANCE.md` for sources and licences). The split is by class: {val_classes}
classes (seed {cfg.seed}) were held out and never seen in training; all numbers below are on
those held-out classes. The class lists are in the manifest (`training.val_class_names`) and in the
run's `split.json`:

{held_out}

## Recipe

Triplet margin loss (margin {cfg.margin}, {cfg.distance} distance) with `{cfg.mining}` mining over
P×K batches ({cfg.batch_classes} classes × {cfg.batch_images} images), lr {cfg.lr}, weight decay
{cfg.weight_decay}; {augmentation}. {epochs} epochs in {minutes:.1f} minutes of training
({speed:.0f} images/s); best epoch {best} by held-out MAP@R (so the figures below are
slightly optimistic: the epoch was picked on them). The full configuration is in the manifest
(`training.config`).

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

## Calibrated thresholds ({cfg.distance} distance, held-out classes)

| key | threshold |
|---|---|
{thresholds}

The app's default is the loosest FAR point (`far_1e-2`, else `far_1e-3`) whose precision on these
held-out pairs is at least 0.5 (engine/default_threshold.py); `far_1e-3` / `far_1e-2` accept about
0.1% / 1% of different-class pairs.

## Limits

- Trained on {train_images:,} images of {sets} only: other kinds of image are out of distribution;
  retrain with `lookalike train` on your own folders.
- Input is {prep.input_size} px: detail smaller than that is lost.
- Thresholds were calibrated on the held-out classes of these sets; on other data recalibrate
  with `lookalike evaluate` on a labelled folder.{mirror}{not_better}
"""
