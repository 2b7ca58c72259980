"""Teach the model on a folder: the training command the app runs in a separate process, its
JSON-line events, and the held-out before/after figures (no Qt, no torch: the app stays light).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.errors import CancelledError, MetricsError
from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.images.loading import load_image
from lookalike.engine.metrics.retrieval import retrieval_metrics
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.teaching.marked_groups import group_by_marks
from lookalike.engine.teaching.pair_marks import PairMark, default_data_dir

MIN_CLASSES = 4  # the training split needs classes to train on and classes to hold out


@dataclass(frozen=True)
class TeachPlan:
    """One teaching run: which folder, where the run lives, the budget and optional extras."""

    folder: Path
    run_dir: Path
    minutes: float
    marks_file: Path | None = None
    extra_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeldOutFigures:
    """Retrieval quality of one model on the classes this run held out."""

    precision_at_1: float
    map_at_r: float
    n_images: int
    n_classes: int


def child_env() -> dict[str, str]:
    """Environment for the training process: it imports this same copy of lookalike."""
    import lookalike

    root = str(Path(lookalike.__file__).parent.parent)  # the folder that holds the lookalike package
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def cli_command(*args: str) -> list[str]:
    """`lookalike ARGS` run by this interpreter (works without the console script on PATH)."""
    return [sys.executable, "-m", "lookalike", *args]


def teach_command(plan: TeachPlan) -> list[str]:
    """The `lookalike train` command line for a plan, with machine-readable progress."""
    args = [str(plan.folder), "--out", str(plan.run_dir), "--max-minutes", f"{plan.minutes:g}"]
    args += ["--progress-json"]
    if plan.marks_file is not None:
        args += ["--marks", str(plan.marks_file)]
    return cli_command("train", *args, *plan.extra_args)


def export_command(checkpoint: Path, out: Path) -> list[str]:
    """Export a stopped run's best checkpoint (what Stop keeps)."""
    return cli_command("export", str(checkpoint), "--out", str(out))


def train_options() -> str:
    """`lookalike train --help` text, to offer only the options this install has (e.g. --backbone)."""
    done = subprocess.run(
        cli_command("train", "--help"), capture_output=True, text=True, env=child_env(), timeout=120
    )
    return done.stdout


def parse_event(line: str) -> dict[str, Any] | None:
    """One progress line → its event dict; anything else (warnings, tables) → None."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        event = json.loads(text)
    except ValueError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


def stop_reason(message: str) -> str | None:
    """The training log line that says why a run ended before its epochs ran out, or None."""
    text = message.strip()
    return text if text.startswith(("early stop", "time budget")) else None


def teachable(emb: FolderEmbeddings, n_marks: int) -> str | None:
    """None when the folder can be taught, else why not (in words for the user)."""
    classes = {lab for lab in emb.labels if lab is not None}
    if len(classes) >= MIN_CLASSES or n_marks >= 2 * MIN_CLASSES:
        return None
    return (
        f"Teaching needs at least {MIN_CLASSES} class folders (this folder has {len(classes)}) "
        f"or enough 'is a match' marks to group images into {MIN_CLASSES} classes."
    )


def new_run_paths(folder: Path, data_dir: Path | None = None) -> tuple[Path, Path]:
    """A fresh run folder and a proposed model file, both in the user data directory."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = data_dir or default_data_dir()
    name = f"{folder.name or 'folder'}-{stamp}"
    return base / "runs" / name, base / "models" / f"{name}.onnx"


def labels_with_marks(emb: FolderEmbeddings, marks: Sequence[PairMark]) -> list[str | None]:
    """The folder's labels plus the classes its match marks make, as training makes them."""
    labels = {p: lab for p, lab in zip(emb.paths, emb.labels, strict=True) if lab is not None}
    matches = [(m.a, m.b) for m in marks if m.is_match]
    added = group_by_marks(labels, matches).added
    return [lab if lab is not None else added.get(p) for p, lab in zip(emb.paths, emb.labels, strict=True)]


def held_out_rows(labels: Sequence[str | None], classes: Sequence[str]) -> list[int]:
    """Rows of the folder's images in the held-out classes."""
    wanted = set(classes)
    return [i for i, lab in enumerate(labels) if lab is not None and lab in wanted]


def figures(vectors: np.ndarray, labels: Sequence[str | None]) -> HeldOutFigures | None:
    """Held-out precision@1 and MAP@R, or None when the classes cannot be scored."""
    try:
        m = retrieval_metrics(vectors, labels)
    except MetricsError:
        return None
    return HeldOutFigures(m.precision_at_1, m.mean_average_precision_at_r, m.n_images, m.n_classes)


def before_figures(
    emb: FolderEmbeddings, classes: Sequence[str], labels: Sequence[str | None] | None = None
) -> HeldOutFigures | None:
    """The starting model on the held-out classes, from the vectors the app already has."""
    labels = emb.labels if labels is None else labels
    rows = held_out_rows(labels, classes)
    return figures(emb.vectors[rows], [labels[r] for r in rows])


def after_figures(
    embedder: Embedder,
    emb: FolderEmbeddings,
    classes: Sequence[str],
    labels: Sequence[str | None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> HeldOutFigures | None:
    """A new model on the same held-out images, embedded the way the app embeds them."""
    labels = emb.labels if labels is None else labels
    rows = held_out_rows(labels, classes)
    size = embedder.manifest.preprocessing.input_size
    vectors = np.zeros((len(rows), embedder.dim), dtype=np.float32)
    for start in range(0, len(rows), 32):
        if cancel is not None and cancel.is_set():
            raise CancelledError("stopped")
        chunk = rows[start : start + 32]
        batch = np.stack([embedder.prepare(load_image(emb.abs_path(r), min_side=size)) for r in chunk])
        vectors[start : start + len(chunk)] = embedder.embed_batch(batch)
        if progress is not None:
            progress(min(start + 32, len(rows)), len(rows))
    return figures(vectors, [labels[r] for r in rows])
