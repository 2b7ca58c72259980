"""Open an index folder like a folder of images: its rows as FolderEmbeddings, its FAISS search.

Refuses an index made with another model (its vectors would mean nothing next to this model's
queries), one whose build never finished (the manifest says `complete` only after FAISS), and one
whose rows name anything but images of the folder it was built from (engine.index.trust).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.errors import DamagedFileError
from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.folder.scan import SkippedFile
from lookalike.engine.index.manifest import IndexFolderError, IndexManifest, check_model, read_manifest
from lookalike.engine.index.shards import read_keys, read_skipped, read_vectors
from lookalike.engine.index.trust import check_identity, check_root, check_rows
from lookalike.engine.metrics.sampling import MAX_INDEX_METRICS_ROWS, sample_rows
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.search.vector_index import read_ann
from lookalike.engine.search.vector_search import AnnSearch

ANN_FILE = "vectors.faiss"


@dataclass
class IndexEmbeddings(FolderEmbeddings):
    """A folder's embeddings that came from an index: with its manifest and its FAISS search."""

    index_dir: Path | None = None
    manifest: IndexManifest | None = None
    search: Any = None


def open_index(index_dir: str | os.PathLike[str], embedder: Embedder) -> IndexEmbeddings:
    """Read an index's rows, skipped files and FAISS index, after checking it matches the model."""
    root = Path(index_dir)
    manifest = read_manifest(root)
    check_model(manifest, embedder.sha256, embedder.manifest.name, root)
    if not manifest.complete or manifest.ann is None:
        raise IndexFolderError(
            f"the index {root} is incomplete (its build was interrupted): run `lookalike index` again "
            "with the same source and --out to finish it"
        )
    images = check_root(root, manifest)
    keys = read_keys(root, manifest, columns=("path", "label", "size", "mtime"))
    check_rows(root, images, keys["path"])
    check_identity(root, images, keys)
    vectors = read_vectors(root, manifest)
    ann = read_ann(root / ANN_FILE, manifest.ann.get("params", {}))
    if int(ann.ntotal) != len(vectors):  # another build's file, or one cut short: answers would be wrong
        raise DamagedFileError(
            f"{root / ANN_FILE} is damaged: it holds {int(ann.ntotal):,} vectors, the index "
            f"{len(vectors):,}; run `lookalike index` again with the same --out to rebuild it"
        )
    skipped = [SkippedFile(p, reason) for p, _, _, reason in read_skipped(root, manifest)]
    return IndexEmbeddings(
        folder=images,
        paths=keys["path"],
        labels=keys["label"],
        vectors=vectors,
        skipped=skipped,
        provider=embedder.provider,
        n_cached=len(vectors),
        index_dir=root,
        manifest=manifest,
        search=AnnSearch(ann, str(manifest.ann["kind"]), vectors),  # distances recomputed exactly
    )


def describe(emb: IndexEmbeddings) -> str:
    """One line for the user: size and how neighbours are searched."""
    ann = emb.manifest.ann if emb.manifest is not None and emb.manifest.ann else {}
    params = ", ".join(f"{k}={v}" for k, v in ann.get("params", {}).items())
    recall = ann.get("recall_at_10", 1.0)
    return (
        f"index {emb.index_dir}: {len(emb)} images, FAISS {ann.get('kind')} ({params}) recall@10 {recall:.3f}"
    )


def metrics_sample(emb: FolderEmbeddings, seed: int = 0) -> tuple[np.ndarray, list[str | None], str]:
    """Vectors and labels for all-pairs statistics: all of a folder; a seeded sample of a big index,
    with a note saying so (empty when everything is used)."""
    if not isinstance(emb, IndexEmbeddings) or len(emb) <= MAX_INDEX_METRICS_ROWS:
        return emb.vectors, emb.labels, ""
    rows = sample_rows(len(emb), MAX_INDEX_METRICS_ROWS, seed)
    note = f"on a seeded random sample of {MAX_INDEX_METRICS_ROWS:,} of the index's {len(emb):,} images"
    return emb.vectors[rows], [emb.labels[i] for i in rows], note
