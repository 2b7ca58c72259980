"""The model card of a model taught in the app: what it was taught on and how it compares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lookalike.engine.model.embedder import Embedder
from lookalike.engine.teaching.teach_run import HeldOutFigures


@dataclass(frozen=True)
class BeforeAfter:
    """The starting and the taught model's figures on the same held-out images (None: not scored)."""

    before: HeldOutFigures | None
    after: HeldOutFigures | None


def card_text(
    model: Embedder,
    folder: Path,
    held_out: list[str],
    figures: BeforeAfter,
    starting_model: str,
    n_marks: int = 0,
) -> str:
    """Markdown card: source folder, held-out classes, before/after figures, the manifest's facts."""
    training = model.manifest.training
    lines = [
        f"# {model.path.name}",
        "",
        f"Taught in Lookalike on the folder `{folder.name}` by `lookalike train` (its class folders"
        + (f" and {n_marks} pair marks)." if n_marks else ")."),
        f"Compared with the model in use when teaching began: `{starting_model}`. "
        f"Input {model.manifest.preprocessing.input_size} px, "
        f"embedding size {model.dim}, SHA-256 `{model.sha256[:16]}`.",
        f"Training: {training.get('epochs_run', '?')} epoch(s), "
        f"best epoch {training.get('best_epoch', '?')}, "
        f"{training.get('train_images', '?')} images in {training.get('train_classes', '?')} classes.",
        "",
        f"## Held out from this run ({len(held_out)} classes)",
        "",
        ", ".join(held_out) or "(none)",
        "",
        "| model | precision@1 | MAP@R | images | classes |",
        "|---|---|---|---|---|",
        _row("starting model", figures.before),
        _row("taught model", figures.after),
        "",
        "Thresholds (calibrated on the held-out classes): "
        + ", ".join(f"`{k}` {v:.4f}" for k, v in sorted(model.manifest.thresholds.items())),
        "",
    ]
    return "\n".join(lines)


def _row(name: str, fig: HeldOutFigures | None) -> str:
    if fig is None:
        return f"| {name} | n/a | n/a | | |"
    return f"| {name} | {fig.precision_at_1:.3f} | {fig.map_at_r:.3f} | {fig.n_images} | {fig.n_classes} |"


def card_path(model_path: Path) -> Path:
    """The card lives beside the model: NAME.onnx → NAME.md."""
    return model_path.with_suffix(".md")
