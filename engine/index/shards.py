"""Parquet shards of an index: (path, size, mtime, label, vector) rows, and the `skipped` table.

Each file is written whole to a temp name and renamed, so an interrupted job never leaves half a
shard under a real name. pyarrow is imported inside functions (the optional `[cluster]` extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.errors import DamagedFileError, first_line
from lookalike.engine.index.cluster_extra import require
from lookalike.engine.index.manifest import IndexManifest, write_atomically

SHARD_DIR = "shards"
SKIPPED_NAME = "skipped.parquet"
KEY_COLUMNS = ("path", "size", "mtime", "label")
# (path, size, mtime, reason, identity): a file that could not be embedded, and which version of it
SkipRecord = tuple[str, int, int, str, str]


@dataclass
class Rows:
    """Column buffers of embedded rows (what one shard holds)."""

    path: list[str]
    size: list[int]
    mtime: list[int]
    label: list[str | None]
    vector: list[np.ndarray]
    identity: list[str]

    @classmethod
    def empty(cls) -> Rows:
        """No rows yet."""
        return cls([], [], [], [], [], [])

    def __len__(self) -> int:
        return len(self.path)


def write_shard(index_dir: Path, name: str, rows: Rows, dim: int) -> None:
    """Write one shard atomically under shards/NAME."""
    pa = require("pyarrow")
    flat = np.concatenate(rows.vector).astype(np.float32) if len(rows) else np.zeros(0, np.float32)
    vectors = pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), dim)
    table = pa.table(
        {
            "path": pa.array(rows.path, pa.string()),
            "size": pa.array(rows.size, pa.int64()),
            "mtime": pa.array(rows.mtime, pa.int64()),
            "label": pa.array(rows.label, pa.string()),
            "vector": vectors,
            "identity": pa.array(rows.identity, pa.string()),
        }
    )
    _write_table(index_dir / SHARD_DIR / name, table)


def write_skipped(index_dir: Path, records: Sequence[SkipRecord]) -> str:
    """The skipped table: (path, size, mtime, reason, identity) of every file not embedded."""
    pa = require("pyarrow")
    cols: list[Sequence[Any]] = [[r[i] for r in records] for i in range(5)]
    table = pa.table(
        {
            "path": pa.array(cols[0], pa.string()),
            "size": pa.array(cols[1], pa.int64()),
            "mtime": pa.array(cols[2], pa.int64()),
            "reason": pa.array(cols[3], pa.string()),
            "identity": pa.array(cols[4], pa.string()),
        }
    )
    _write_table(index_dir / SKIPPED_NAME, table)
    return SKIPPED_NAME


def read_skipped(index_dir: Path, manifest: IndexManifest) -> list[tuple[str, int, int, str]]:
    """The skipped rows: (path, size, mtime, reason)."""
    return [r[:4] for r in read_skip_records(index_dir, manifest)]


def read_skip_records(index_dir: Path, manifest: IndexManifest) -> list[SkipRecord]:
    """The skipped rows with their identity ("" in tables from before it was stored)."""
    if not manifest.skipped_file:
        return []
    d = read_parquet(index_dir / manifest.skipped_file).to_pydict()
    identity = d.get("identity") or [""] * len(d["path"])
    return list(zip(d["path"], d["size"], d["mtime"], d["reason"], identity, strict=True))


def read_identities(index_dir: Path, shard: str) -> tuple[list[str], list[str]]:
    """A shard's paths and file identities ("" for shards written before identities were stored,
    so their rows count as changed and are embedded again once)."""
    path = index_dir / SHARD_DIR / shard
    try:
        table = read_parquet(path, ["path", "identity"])
    except DamagedFileError:  # a shard from before identities (or a damaged one: read it plainly)
        paths = read_parquet(path, ["path"]).column("path").to_pylist()
        return paths, [""] * len(paths)
    return table.column("path").to_pylist(), table.column("identity").to_pylist()


def read_keys(
    index_dir: Path,
    manifest: IndexManifest,
    shard: str | None = None,
    columns: tuple[str, ...] = KEY_COLUMNS,
) -> dict[str, list[Any]]:
    """Path, size, mtime and label columns (no vectors) of every shard, or of one."""
    out: dict[str, list[Any]] = {c: [] for c in columns}
    for s in manifest.shards:
        if shard is None or s.file == shard:
            table = read_parquet(index_dir / SHARD_DIR / s.file, list(columns), s.rows)
            for c in columns:
                out[c] += table.column(c).to_pylist()
    return out


def read_vectors(index_dir: Path, manifest: IndexManifest, shard: str | None = None) -> np.ndarray:
    """All vectors in shard order (or one shard's), float32 (n, dim), filled in place shard by shard
    so the peak is the result plus one shard (a concatenate would hold everything twice)."""
    shards = [s for s in manifest.shards if shard is None or s.file == shard]
    out = np.empty((sum(s.rows for s in shards), manifest.embedding_dim), np.float32)
    at = 0
    for s in shards:
        path = index_dir / SHARD_DIR / s.file
        col = read_parquet(path, ["vector"], s.rows).column("vector")
        flat = np.asarray(col.combine_chunks().flatten().to_numpy(zero_copy_only=False), np.float32)
        if flat.size != s.rows * manifest.embedding_dim:
            raise DamagedFileError(f"{path} is damaged: its vectors are not {manifest.embedding_dim} wide")
        out[at : at + s.rows] = flat.reshape(-1, manifest.embedding_dim)
        at += s.rows
    return out


def read_parquet(path: Path, columns: list[str] | None = None, rows: int | None = None) -> Any:
    """A table of the index, or DamagedFileError naming the file (truncated, not Parquet, missing a
    column, or a row count other than the manifest's)."""
    pa = require("pyarrow")
    pq = require("pyarrow.parquet")
    try:
        table = pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError, ValueError, KeyError) as exc:
        raise DamagedFileError(
            f"{path} is damaged or missing ({first_line(exc, 120)}); "
            "run `lookalike index` again to rebuild it"
        ) from exc
    if rows is not None and table.num_rows != rows:
        raise DamagedFileError(
            f"{path} is damaged: it holds {table.num_rows} rows where the index's manifest says {rows}"
        )
    return table


def _write_table(path: Path, table: Any) -> None:
    pa = require("pyarrow")
    pq = require("pyarrow.parquet")
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    write_atomically(path, sink.getvalue().to_pybytes())


def filter_shard(index_dir: Path, shard: str, keep: np.ndarray, new_name: str) -> int:
    """Write the rows of `shard` where `keep` is true to a new shard; returns how many."""
    pq = require("pyarrow.parquet")
    table = pq.read_table(index_dir / SHARD_DIR / shard)
    kept = table.filter(require("pyarrow").array(keep))
    _write_table(index_dir / SHARD_DIR / new_name, kept)
    return int(kept.num_rows)
