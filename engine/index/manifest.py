"""An index folder's manifest (`index.json`): which model made it, its shards, its FAISS index.

Written last and atomically, so a reader (or a re-run after Ctrl+C or a crash) only ever sees
shards that were completely written; files not named here are leftovers and are ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from lookalike.engine.errors import LookalikeError
from lookalike.engine.io.atomic_file import write_bytes_atomically
from lookalike.engine.model.manifest import ModelManifest

MANIFEST_NAME = "index.json"
INDEX_FORMAT = 1


class IndexFolderError(LookalikeError):
    """An index folder that is missing, damaged, incomplete, or made with another model."""


@dataclass(frozen=True)
class Shard:
    """One Parquet file of (path, size, mtime, label, vector) rows."""

    file: str
    rows: int


@dataclass(frozen=True)
class IndexManifest:
    """Everything needed to trust an index folder: model identity, preprocessing, shards, ANN index."""

    model_sha256: str
    model_name: str
    embedding_dim: int
    distance: str
    preprocessing: dict[str, Any]
    source: str
    root: str
    shards: tuple[Shard, ...] = ()
    skipped_file: str | None = None
    n_skipped: int = 0
    ann: dict[str, Any] | None = None
    workers: dict[str, str] = field(default_factory=dict)
    complete: bool = False
    format_version: int = INDEX_FORMAT

    @property
    def n_rows(self) -> int:
        """Rows over all shards."""
        return sum(s.rows for s in self.shards)

    def with_changes(self, **changes: Any) -> IndexManifest:
        """A copy with some fields replaced (the manifest itself is immutable)."""
        return replace(self, **changes)


def new_manifest(model: ModelManifest, model_sha256: str, source: str, root: str) -> IndexManifest:
    """An empty index for this model and source."""
    prep = asdict(model.preprocessing)
    return IndexManifest(model_sha256, model.name, model.embedding_dim, model.distance, prep, source, root)


def is_index_dir(path: str | os.PathLike[str]) -> bool:
    """True when `path` is a folder holding an index manifest (so commands open it as an index)."""
    return (Path(path) / MANIFEST_NAME).is_file()


def read_manifest(index_dir: Path) -> IndexManifest:
    """Read and check the manifest; a damaged one is one clear error."""
    path = index_dir / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw["shards"] = tuple(Shard(**s) for s in raw.get("shards", []))
        manifest = IndexManifest(**raw)
    except FileNotFoundError as exc:
        raise IndexFolderError(f"not an index folder (no {MANIFEST_NAME}): {index_dir}") from exc
    except (OSError, ValueError, TypeError) as exc:
        raise IndexFolderError(f"the index manifest {path} is damaged: {exc}") from exc
    if manifest.format_version != INDEX_FORMAT:
        raise IndexFolderError(f"index format {manifest.format_version}, this version reads {INDEX_FORMAT}")
    return manifest


def write_manifest(index_dir: Path, manifest: IndexManifest) -> None:
    """Replace the manifest atomically (temp file, fsync, rename)."""
    write_atomically(index_dir / MANIFEST_NAME, json.dumps(asdict(manifest), indent=1).encode("utf-8"))


def check_model(manifest: IndexManifest, model_sha256: str, model_name: str, index_dir: Path) -> None:
    """Refuse to mix models: vectors of one model mean nothing next to another's."""
    if manifest.model_sha256 != model_sha256:
        raise IndexFolderError(
            f"the index {index_dir} was built with model '{manifest.model_name}' "
            f"(sha256 {manifest.model_sha256[:12]}), not with '{model_name}' (sha256 {model_sha256[:12]}): "
            "open it with that model (--model), or build a new index with this one"
        )


def write_atomically(path: Path, data: bytes) -> None:
    """Manifest, shards and FAISS files are replaced whole (engine.io.atomic_file)."""
    write_bytes_atomically(path, data)
