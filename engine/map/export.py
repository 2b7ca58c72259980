"""The map leaves the app: a standalone HTML page, and the rows of a lasso selection as CSV or JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lookalike.engine.map.projection import Projection

FIELDS = ("row", "path", "class", "x", "y")


def write_map_html(
    projection: Projection, paths: Sequence[str], labels: Sequence[str | None], out: Path, title: str
) -> Path:
    """The map as one offline page (plotly.js inlined), as `lookalike map --html` writes it."""
    from lookalike.engine.map.figure import map_figure, map_html

    out.write_text(map_html(map_figure(projection, paths, labels, title=title)), encoding="utf-8")
    return out


def selection_records(
    rows: Sequence[int], projection: Projection, paths: Sequence[str], labels: Sequence[str | None]
) -> list[dict[str, Any]]:
    """One record per selected row: its file, class and map position."""
    position = {int(r): i for i, r in enumerate(projection.indices)}
    out = []
    for row in sorted(set(rows)):
        at = position.get(row)
        x, y = (None, None) if at is None else map(float, projection.points[at])
        out.append({"row": row, "path": paths[row], "class": labels[row], "x": x, "y": y})
    return out


def write_selection(records: list[dict[str, Any]], out: Path) -> Path:
    """CSV (header row, empty class when none) or JSON (a list of objects), by the file's suffix."""
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return out
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows({k: ("" if r[k] is None else r[k]) for k in FIELDS} for r in records)
    return out
