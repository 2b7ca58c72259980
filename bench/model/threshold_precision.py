"""Precision and recall of a model's calibrated thresholds on the held-out classes of the shared sets.

    python -m bench.model.threshold_precision [--model M.onnx] [--datasets DIR]

The held-out classes are the manifest's `training.val_class_names` ("cards/10_of_hearts", …): all
their images form one folder with many classes, as a user's folder would be. For every threshold
in the manifest, and for the folder's own best-F1 threshold, it prints FAR, VAL (recall over
genuine pairs) and precision (share of accepted pairs that are genuine), on the whole folder and
per dataset, and checks the app's default rule (engine/thresholds/default.py): the threshold it
picks must keep precision >= 0.5. Re-run it for every new model.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
from lookalike.engine.folder.embedding import FolderEmbeddings, embed_folder
from lookalike.engine.metrics.pair_distances import PairDistances, pair_distances
from lookalike.engine.metrics.verification import threshold_stats
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.search.distances import triangle_blocks
from lookalike.engine.thresholds.default import MIN_PRECISION
from lookalike.engine.thresholds.folder import best_f1_threshold, f1_score
from lookalike.engine.thresholds.summary import folder_pairs, summarize
from lookalike.engine.thresholds.table import DUPLICATE_KEY

from bench.common import Report, verdict

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"
DATASET_DIRS = {"fashion-mnist": "fashion-mnist/folder"}  # manifest name → folder under datasets


def held_out_folder(classes: list[str], datasets: Path, out: Path) -> Path:
    """Link every image of the held-out classes into out/<dataset>__<class>/ (one folder, many classes)."""
    for name in classes:
        dataset, cls = name.split("/", 1)
        src = datasets / DATASET_DIRS.get(dataset, dataset) / cls
        if not src.is_dir():
            raise SystemExit(f"held-out class {name} not found at {src}")
        dest = out / f"{dataset}__{cls}"
        dest.mkdir(parents=True, exist_ok=True)
        for f in sorted(src.iterdir()):
            if f.is_file():
                os.symlink(f, dest / f.name)
    return out


def rows_for(pairs: PairDistances, thresholds: dict[str, float], default_key: str) -> list[tuple[str, ...]]:
    """One table row per threshold: FAR, VAL, precision, F1 on these pairs."""
    rows: list[tuple[str, ...]] = []
    for key, value in thresholds.items():
        st = threshold_stats(pairs, value)
        mark = " (app default)" if key == default_key else ""
        rows.append(
            (
                f"`{key}`{mark}",
                f"{value:.4f}",
                f"{st.far:.2e}",
                f"{st.val:.3f}",
                f"{st.precision:.3f}",
                f"{f1_score(st):.3f}",
                f"{st.true_accepts:,} / {st.false_accepts:,}",
            )
        )
    return rows


def subset(emb: FolderEmbeddings, dataset: str) -> PairDistances:
    """Pairs among one dataset's held-out classes only."""
    keep = [i for i, lab in enumerate(emb.labels) if lab and lab.startswith(dataset + "__")]
    return pair_distances(emb.vectors[keep], [emb.labels[i] for i in keep])


def run(model: Path, datasets: Path) -> Report:
    """Embed the held-out classes, measure every threshold, check the default rule."""
    embedder = Embedder(model)
    manifest = embedder.manifest
    classes = list(manifest.training.get("val_class_names", []))
    if not classes:
        raise SystemExit("the model's manifest lists no held-out classes (training.val_class_names)")
    choice = manifest.default_choice
    rep = Report("threshold_precision", "Calibrated thresholds on the held-out classes: precision and recall")
    with tempfile.TemporaryDirectory(prefix="lookalike-heldout-") as tmp:
        os.environ.setdefault("LOOKALIKE_CACHE_DIR", str(Path(tmp) / "cache"))
        folder = held_out_folder(classes, datasets, Path(tmp) / "held-out")
        emb = embed_folder(folder, embedder)
    everything = pair_distances(emb.vectors, emb.labels)
    header = ("threshold", "value", "FAR", "VAL (recall)", "precision", "F1", "genuine / impostor accepted")
    match = {
        k: v for k, v in manifest.thresholds.items() if not k.startswith(DUPLICATE_KEY)
    }  # not "same class"
    thresholds = match | {"folder best F1": best_f1_threshold(everything)}
    rep.add(
        f"Model `{model.name}` ({manifest.name}, sha256 {embedder.sha256[:16]}…): {len(emb)} images in "
        f"{len(set(emb.labels))} held-out classes, {len(everything.genuine):,} genuine and "
        f"{len(everything.impostor):,} impostor pairs{' (sampled)' if everything.sampled else ''}.",
        f"Default rule: {choice.label} = {choice.value:.4f}, calibration precision "
        + ("n/a" if choice.precision is None else f"{choice.precision:.3f}")
        + f" (loosest FAR point with precision ≥ {MIN_PRECISION}).",
        "",
        "## All held-out classes as one folder",
        "",
    )
    rep.table(header, rows_for(everything, thresholds, choice.key))
    for dataset in sorted({c.split("/", 1)[0] for c in classes}):
        pairs = subset(emb, dataset)
        rep.add(f"## {dataset} only", "")
        rep.table(header, rows_for(pairs, match, choice.key))
    measured = threshold_stats(everything, choice.value).precision
    rep.add(
        f"Default threshold precision on all held-out classes: {measured:.3f} "
        f"(goal ≥ {MIN_PRECISION}): {verdict(measured >= MIN_PRECISION)}",
        "",
    )
    displayed_table(rep, emb, choice.value, choice.precision)
    return rep


def exact_precision(vectors: np.ndarray, labels: list[str], threshold: float) -> float:
    """Share of same-class pairs among *all* pairs closer than `threshold` (no sampling)."""
    codes = np.unique(labels, return_inverse=True)[1]
    genuine = accepted = 0
    for start, upper, dist in triangle_blocks(np.asarray(vectors, np.float64)):
        close = upper & (dist < threshold)
        rows, cols = np.nonzero(close)
        accepted += len(rows)
        genuine += int((codes[start + rows] == codes[start + cols]).sum())
    return genuine / accepted if accepted else float("nan")


def displayed_table(rep: Report, emb: FolderEmbeddings, threshold: float, calibration: float | None) -> None:
    """Is the precision the app shows the precision a user gets? Each set opened as its own folder
    (the app shows the folder's figure: engine.thresholds.summary, as the threshold bar calls it),
    against the precision over all of the set's pairs; and the model's calibration figure (what the
    app shows on a folder without classes) against all held-out classes as one folder."""
    rows = []
    for dataset in [None, *sorted({lab.split("__", 1)[0] for lab in emb.labels if lab})]:
        keep = [
            i
            for i, lab in enumerate(emb.labels)
            if lab and (dataset is None or lab.startswith(dataset + "__"))
        ]
        vectors, labels = emb.vectors[keep], [str(emb.labels[i]) for i in keep]
        measured = exact_precision(vectors, labels, threshold)
        stats = summarize(folder_pairs(vectors, labels), threshold).stats
        shown = stats.precision if stats is not None else calibration
        if dataset is None:
            rows.append(("all held-out (calibration figure)", calibration, measured))
        rows.append((dataset or "all held-out (folder figure)", shown, measured))
    rep.add("## What the app displays at the default threshold, against what it measures", "")
    rep.table(
        ("folder", "app displays", "measured on all pairs", "within 0.05"),
        [
            (
                name,
                "n/a" if shown is None else f"{shown:.3f}",
                f"{measured:.3f}",
                verdict(shown is not None and abs(shown - measured) <= 0.05),
            )
            for name, shown, measured in rows
        ],
    )


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: bundled)")
    shared = SHARED if SHARED.is_dir() else Path("/work/shared/datasets")
    parser.add_argument("--datasets", type=Path, default=shared, help="the shared datasets folder")
    args = parser.parse_args(argv)
    run(args.model or default_model_path(), args.datasets).save()


if __name__ == "__main__":
    main()
