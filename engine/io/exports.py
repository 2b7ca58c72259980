"""What the app exports, as tables: one CSV layout and one JSON document per kind, written by suffix.

Kinds: the neighbours of selected images, the matching pairs at a threshold, the duplicate groups
and the distance matrix of a selection (the heat map). Paths are relative to the folder, as in
`lookalike neighbours --json`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.duplicates.groups import close_pairs
from lookalike.engine.duplicates.listing import (
    GROUP_COLUMNS,
    DuplicateListing,
    listing_document,
    listing_rows,
)
from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.io.tabular import FORMATS, write_table
from lookalike.engine.search.distances import distance_matrix
from lookalike.engine.search.neighbours import knn

__all__ = ["FORMATS", "ExportTable", "write_export"]


@dataclass(frozen=True)
class ExportTable:
    """One export: CSV columns and rows, and the JSON document with the same content."""

    columns: tuple[str, ...]
    rows: list[tuple[object, ...]]
    document: dict[str, Any]


def write_export(table: ExportTable, path: Path, reads: Sequence[Path] = ()) -> Path:
    """Write as CSV or JSON, chosen by the file's suffix, through the one table writer
    (engine.io.tabular: output guard, formula-safe cells, UTF-8, LF, atomic)."""
    return write_table(path, table.columns, table.rows, table.document, reads)


def neighbours_table(emb: FolderEmbeddings, rows: Sequence[int], k: int, threshold: float) -> ExportTable:
    """The k nearest neighbours of each selected image, with distance and verdict."""
    q = np.asarray(list(rows), dtype=np.int64)
    idx, dist = knn(emb.vectors, k, queries=emb.vectors[q], exclude_self=q)
    out_rows: list[tuple[object, ...]] = []
    doc: dict[str, list[dict[str, Any]]] = {}
    for n, query in enumerate(q.tolist()):
        items = doc.setdefault(emb.paths[query], [])
        for rank, (j, d) in enumerate(zip(idx[n].tolist(), dist[n].tolist(), strict=True), start=1):
            match = bool(d < threshold)
            out_rows.append((emb.paths[query], rank, emb.paths[j], _num(d), match))
            items.append({"path": emb.paths[j], "distance": _num(d), "match": match})
    return ExportTable(
        ("query", "rank", "path", "distance", "match"),
        out_rows,
        {"threshold": threshold, "k": k, "neighbours": doc},
    )


def matching_pairs_table(emb: FolderEmbeddings, threshold: float) -> ExportTable:
    """Every pair of the folder the threshold accepts, closest first."""
    pairs = close_pairs(emb.vectors, threshold)
    order = np.lexsort((pairs.j, pairs.i, pairs.distance))
    records = [
        (emb.paths[a], emb.paths[b], _num(d))
        for a, b, d in zip(
            pairs.i[order].tolist(), pairs.j[order].tolist(), pairs.distance[order].tolist(), strict=True
        )
    ]
    return ExportTable(
        ("a", "b", "distance"),
        list(records),
        {
            "threshold": threshold,
            "n_pairs": len(records),
            "pairs": [{"a": a, "b": b, "distance": d} for a, b, d in records],
        },
    )


def duplicate_groups_table(listing: DuplicateListing) -> ExportTable:
    """The duplicate groups as listed (same JSON as `lookalike duplicates --json`)."""
    return ExportTable(GROUP_COLUMNS, listing_rows(listing), listing_document(listing))


def distance_matrix_table(emb: FolderEmbeddings, rows: Sequence[int], threshold: float) -> ExportTable:
    """The heat map's matrix: pairwise distances of the selected images."""
    paths = [emb.paths[r] for r in rows]
    matrix = distance_matrix(emb.vectors[list(rows)])
    values = [[_num(x) for x in line] for line in matrix.tolist()]
    return ExportTable(
        ("path", *paths),
        [(p, *line) for p, line in zip(paths, values, strict=True)],
        {"threshold": threshold, "paths": paths, "distances": values},
    )


def _num(x: float) -> float:
    """Six decimals: enough for any threshold, and files that diff cleanly."""
    return round(float(x), 6) if math.isfinite(x) else float("nan")
