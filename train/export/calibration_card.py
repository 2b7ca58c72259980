"""The model card's calibration section, rendered from the manifest the app reads (never typed).

Shared by the card a training run writes and by train/export/recalibrate.py, which replaces just
this section when it calibrates a model file again.
"""

from __future__ import annotations

from lookalike.engine.duplicates.calibration import PIXEL_MARGIN
from lookalike.engine.model.manifest import ModelManifest
from lookalike.engine.thresholds.default import MIN_PRECISION, histogram_precision
from lookalike.engine.thresholds.table import DUPLICATE_KEY, DUPLICATE_KEYS, name

HEADING = "## Calibrated thresholds (Euclidean distance, held-out classes)"


def calibration_section(manifest: ModelManifest) -> str:
    """Markdown: every threshold with its population-weighted precision, the default and why,
    and the duplicate thresholds with what they were measured to do."""
    hist, choice = manifest.histograms, manifest.default_choice
    rows = []
    for key, value in sorted(manifest.thresholds.items()):
        if key in DUPLICATE_KEYS:
            continue
        p = histogram_precision(hist, value) if hist is not None else None
        shown = f"{p:.3f}" if p is not None else "unknown (no pair counts)"
        mark = " **(app default)**" if key == choice.key else ""
        rows.append(f"| `{key}` | {name(key)}{mark} | {value:.4f} | {shown} |")
    pairs = (
        f"{hist.genuine_total:,} same-class and {hist.impostor_total:,} different-class pairs"
        if hist
        else "–"
    )
    lines = [
        HEADING,
        "",
        "Precision is over all pairs of the held-out classes as one folder "
        f"({pairs}): the histograms' sampled counts weighted back to those totals.",
        "",
        "| key | meaning | threshold | precision |",
        "|---|---|---|---|",
        *rows,
        "",
        f"The app's default match threshold is the loosest FAR point whose precision is at least "
        f"{MIN_PRECISION} (engine/thresholds/default.py). On a labelled folder the app shows the "
        "folder's own precision instead, and says so.",
        "",
        *_duplicate_lines(manifest),
    ]
    return "\n".join(lines) + "\n"


def _duplicate_lines(manifest: ModelManifest) -> list[str]:
    """What "duplicate" means for this model: its two thresholds and their measured rates."""
    d = manifest.metrics.get("duplicates")
    if not isinstance(d, dict) or DUPLICATE_KEY not in manifest.thresholds:
        return [
            "No duplicate calibration: duplicates use the strictest FAR point and the default picture check."
        ]
    return [
        "**Duplicates** (the same picture, not the same class): a pair is a duplicate when its embedding "
        f"distance is below {d['embedding']:.4f} and its picture check below {d['picture']:.4f}. "
        f"Calibrated on {d['n_copies']:,} planted near-copies (resized 50–90 %, JPEG 60–90, up to 5 % "
        f"cropped, slight colour change) against {d['n_distinct_pairs']:,} pairs of different "
        f"pictures of one kind: copies found {d['copy_recall']:.3f}, different pictures taken for "
        f"duplicates {d['false_rate']:.1e} of pairs in the worst kind ({d['same_class_false_rate']:.3f} "
        "of same-class pairs).",
        *_gate_lines(d),
    ]


def _gate_lines(d: dict[str, object]) -> list[str]:
    """The pixel gate, where the model has one (engine.duplicates.pixel_gate)."""
    gate = d.get("pixels")
    if not isinstance(gate, float | int):
        return []
    return [
        "",
        f"Before the picture check, a candidate pair must be closer than {gate:.4f} on the embedding's "
        f"own 16×16 picture (its `pixels` part): every calibration copy is, with "
        f"{PIXEL_MARGIN * 100:.0f} % to spare, so the gate finds no fewer copies; pairs it stops are "
        "never read from disk.",
    ]


def replace_section(card: str, manifest: ModelManifest) -> str:
    """The card with its calibration section rendered anew (up to the next heading)."""
    start = card.index(HEADING)
    end = card.find("\n## ", start + len(HEADING))
    return card[:start] + calibration_section(manifest) + ("" if end < 0 else card[end:])
