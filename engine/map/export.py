"""The map leaves the app: a standalone HTML page, and the rows of a lasso selection as CSV or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lookalike.engine.io.output_paths import check_output_path, write_output
from lookalike.engine.io.tabular import write_table
from lookalike.engine.map.projection import Projection

HTML_SUFFIXES = (".html", ".htm")

FIELDS = ("row", "path", "class", "x", "y")


def write_map_html(
    projection: Projection,
    paths: Sequence[str],
    labels: Sequence[str | None],
    out: Path,
    title: str,
    reads: Sequence[Path] = (),
) -> Path:
    """The map as one offline page (plotly.js inlined), as `lookalike map --html` writes it.

    Through the output guard (never inside the folder `paths` are relative to, never over a file
    without a .html suffix) and atomically; the save dialog has asked before replacing a file."""
    from lookalike.engine.map.figure import map_figure, map_html

    check_output_path(out, reads=reads, suffixes=HTML_SUFFIXES, flag="export", force=True)
    data = map_html(map_figure(projection, paths, labels, title=title)).encode("utf-8")
    write_output(out, lambda fh: fh.write(data), "export")
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


def write_selection(records: list[dict[str, Any]], out: Path, reads: Sequence[Path] = ()) -> Path:
    """CSV (header row, empty class when none) or JSON (a list of objects), by the file's suffix,
    through the one table writer (guarded, formula-safe, atomic)."""
    rows = [tuple("" if r[k] is None else r[k] for k in FIELDS) for r in records]
    return write_table(out, FIELDS, rows, records, reads)
