"""The end-of-run table: held-out metrics of the trained model beside the raw-pixel baseline."""

from __future__ import annotations

from lookalike.train.export.package_run import ExportReport

COLUMNS = (("precision_at_1", "precision@1"), ("mean_average_precision_at_r", "MAP@R"))


def comparison_table(report: ExportReport) -> str:
    """A markdown table, one row per dataset (or one for a single-root run)."""
    lines = ["| held-out classes | model | precision@1 | MAP@R |", "|---|---|---|---|"]
    rows = [("all", report.metrics, report.baseline)]
    rows += [(n, d["trained"], d["raw_pixels_32"]) for n, d in report.per_dataset.items()]
    for name, trained, raw in rows:
        lines.append(_row(name, "trained", trained))
        lines.append(_row(name, "raw pixels 32×32", raw))
    if report.int8 is not None:
        lines.append(_row("all", "int8 (ONNX Runtime)", report.int8))
    extra = report.metrics
    lines.append(
        f"\nROC AUC {extra['roc_auc']:.3f}, VAL@FAR=1e-3 {extra['val_at_far_1e-3']:.3f}; "
        f"ONNX parity max |diff| {report.parity_diff:.1e}; written {report.path}"
    )
    return "\n".join(lines)


def _row(name: str, model: str, values: dict[str, float]) -> str:
    cells = " | ".join(f"{values[key]:.3f}" for key, _ in COLUMNS)
    return f"| {name} | {model} | {cells} |"
