"""Open an index folder like a folder of images: its rows as FolderEmbeddings, its FAISS search.

Refuses an index made with another model (its vectors would mean nothing next to this model's
queries) or one whose build never finished (the manifest says `complete` only after FAISS).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lookalike.engine.embedder import Embedder
from lookalike.engine.folder_embedding import FolderEmbeddings
from lookalike.engine.folder_scan import SkippedFile
from lookalike.engine.index_manifest import IndexFolderError, IndexManifest, check_model, read_manifest
from lookalike.engine.index_shards import read_keys, read_skipped, read_vectors
from lookalike.engine.vector_index import load_ann
from lookalike.engine.vector_search import AnnSearch

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
    keys = read_keys(root, manifest)
    vectors = read_vectors(root, manifest)
    ann = load_ann((root / ANN_FILE).read_bytes(), manifest.ann.get("params", {}))
    skipped = [SkippedFile(p, reason) for p, _, _, reason in read_skipped(root, manifest)]
    return IndexEmbeddings(
        folder=Path(manifest.root),
        paths=keys["path"],
        labels=keys["label"],
        vectors=vectors,
        skipped=skipped,
        provider=embedder.provider,
        n_cached=len(vectors),
        index_dir=root,
        manifest=manifest,
        search=AnnSearch(ann, str(manifest.ann["kind"])),
    )


def describe(emb: IndexEmbeddings) -> str:
    """One line for the user: size and how neighbours are searched."""
    ann = emb.manifest.ann if emb.manifest is not None and emb.manifest.ann else {}
    params = ", ".join(f"{k}={v}" for k, v in ann.get("params", {}).items())
    recall = ann.get("recall_at_10", 1.0)
    return (
        f"index {emb.index_dir}: {len(emb)} images, FAISS {ann.get('kind')} ({params}) recall@10 {recall:.3f}"
    )
