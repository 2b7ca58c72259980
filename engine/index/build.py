"""`lookalike index`: embed a source on Ray into Parquet shards, then build the FAISS index.

Incremental: rows whose (path, size, mtime) still match the source are kept, so a re-run on a
grown source embeds only new or changed files. Consistent at every moment: each shard is written
whole and then named in the manifest, so Ctrl+C, a crash or a lost worker leaves an index that
holds exactly the rows it lists (`complete` stays false until the FAISS index is built).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.folder.cpu_split import cpu_cores
from lookalike.engine.folder.embedding import CancelFlag, FolderEmbeddings
from lookalike.engine.folder.scan import scan_folder
from lookalike.engine.index.cluster_extra import require
from lookalike.engine.index.manifest import (
    IndexFolderError,
    IndexManifest,
    Shard,
    check_model,
    is_index_dir,
    new_manifest,
    read_manifest,
    write_atomically,
    write_manifest,
)
from lookalike.engine.index.ray_embedding import (
    BLOCK_ROWS,
    EmbedActor,
    RayJob,
    connect,
    decode_batch,
    embed_rows,
)
from lookalike.engine.index.reader import ANN_FILE
from lookalike.engine.index.shards import SHARD_DIR, filter_shard
from lookalike.engine.index.source import SourceListing, list_source
from lookalike.engine.index.sync import sync_plan
from lookalike.engine.index.writer import ShardWriter
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.search.vector_index import build_ann, save_ann

SHARD_ROWS = 50_000
# With no cluster named ("auto"), this many new files or fewer are embedded in this process by the
# pipeline's own two steps: starting a local Ray cluster and its actors takes ~10 s on 2 cores,
# longer than embedding them here (180 files: 13 s through Ray, about 2 s here).
HERE_MAX = 2_000


@dataclass(frozen=True)
class IndexSettings:
    """One `lookalike index` run."""

    source: Path
    out: Path
    model_path: Path
    address: str = "local"  # "auto": local, but a few files are embedded in this process
    workers: int = 0  # 0: one actor per core of this machine
    shard_rows: int = SHARD_ROWS
    batch_size: int = 32


@dataclass(frozen=True)
class IndexReport:
    """What a run did."""

    n_rows: int
    n_embedded: int
    n_reused: int
    n_skipped: int
    n_dropped: int
    duplicates: int
    workers: dict[str, str] = field(default_factory=dict)
    ann: dict[str, Any] | None = None
    cancelled: bool = False


def build_index(
    settings: IndexSettings,
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelFlag | None = None,
) -> IndexReport:
    """Embed what is new in the source, write shards and manifest, then (re)build the FAISS index."""
    for module in ("pyarrow", "faiss", "ray"):
        require(module)  # before anything is written: one line saying how to install the extra
    embedder = Embedder(settings.model_path, device="cpu")
    listing = list_source(settings.source)
    manifest = _open_or_new(settings, embedder, listing)
    plan = sync_plan(settings.out, manifest, listing)
    manifest = _drop_stale(settings.out, manifest, plan.keep_masks)
    writer = ShardWriter(settings.out, manifest, settings.shard_rows, plan.skipped_kept)
    for s in listing.skipped:
        writer.skip((s.path, 0, 0, s.reason, ""))
    reused, total = manifest.n_rows, len(listing.entries) + len(listing.skipped)
    before = reused + len(writer.skipped)
    if progress:
        progress(before, total)
    try:
        if plan.todo:
            tracker = _Tracker(progress, cancel, before, total)
            blocks = (
                _here_blocks if settings.address == "auto" and len(plan.todo) <= HERE_MAX else _ray_blocks
            )
            items = [_item(listing.root, e) for e in plan.todo]
            _stream(blocks(settings, embedder, items), writer, tracker, len(items))
    finally:
        manifest = writer.flush()  # also on Ctrl+C: every row that came back is kept
    cancelled = bool(cancel is not None and cancel.is_set() and writer.returned < len(plan.todo))
    if not cancelled:
        manifest = finish_index(settings.out, manifest, bool(plan.todo) or plan.changed)
    return IndexReport(
        n_rows=manifest.n_rows,
        n_embedded=writer.written,
        n_reused=reused,
        n_skipped=manifest.n_skipped,
        n_dropped=plan.n_dropped,
        duplicates=writer.duplicates,
        workers=dict(writer.workers),
        ann=manifest.ann,
        cancelled=cancelled,
    )


@dataclass(frozen=True)
class _Tracker:
    """Progress and cancel of one build: rows done before the Ray stream, and the total to reach."""

    progress: Callable[[int, int], None] | None
    cancel: CancelFlag | None
    before: int
    total: int

    def report(self, returned: int) -> None:
        """`returned` files came back from the workers so far."""
        if self.progress:
            self.progress(self.before + returned, self.total)

    def cancelled(self) -> bool:
        """The user asked to stop (Ctrl+C, SIGTERM, the app's Stop)."""
        return self.cancel is not None and self.cancel.is_set()


def _stream(blocks: Iterator[dict[str, np.ndarray]], writer: ShardWriter, tracker: _Tracker, n: int) -> None:
    """Write the blocks as they come; every one of the `n` files must come back (unless stopped)."""
    for block in blocks:
        writer.add_block(block)
        tracker.report(writer.returned)
        if tracker.cancelled():
            return
    if writer.returned < n:
        raise IndexFolderError(f"{n - writer.returned} file(s) came back from no worker")


def _ray_blocks(
    settings: IndexSettings, embedder: Embedder, items: list[dict[str, Any]]
) -> Iterator[dict[str, np.ndarray]]:
    """The new files through the Ray pipeline, blocks as Ray finishes them."""
    workers = settings.workers or cpu_cores()
    # A local cluster gets one logical CPU beyond the actors, for the decode tasks: with every CPU
    # held by an embedding actor (the default, one per core) the pipeline waited forever.
    connect("local" if settings.address == "auto" else settings.address, max(cpu_cores(), workers) + 1)
    prep = embedder.manifest.preprocessing
    model = str(settings.model_path.resolve())
    job = RayJob(settings.address, workers, model, embedder.sha256, prep, embedder.dim, settings.batch_size)
    return embed_rows(items, job)


def _here_blocks(
    settings: IndexSettings, embedder: Embedder, items: list[dict[str, Any]]
) -> Iterator[dict[str, np.ndarray]]:
    """Few files and no cluster named: the Ray pipeline's two steps (decode, embed) in this process,
    a block at a time, so the rows, their errors and the shards are the same as through Ray."""
    actor = EmbedActor(str(settings.model_path.resolve()), embedder.sha256)
    for start in range(0, len(items), BLOCK_ROWS):
        part = items[start : start + BLOCK_ROWS]
        block = {key: np.asarray([item[key] for item in part], dtype=object) for key in part[0]}
        yield actor(decode_batch(block, embedder.manifest.preprocessing))


def _open_or_new(settings: IndexSettings, embedder: Embedder, listing: SourceListing) -> IndexManifest:
    """The existing index (same model, same source root) or a new, empty one."""
    if is_index_dir(settings.out):
        manifest = read_manifest(settings.out)
        check_model(manifest, embedder.sha256, embedder.manifest.name, settings.out)
        if manifest.source != str(settings.source.resolve()):
            raise IndexFolderError(
                f"the index {settings.out} was built from {manifest.source}, not {settings.source}: "
                "use another --out"
            )
        return manifest
    if settings.out.exists() and any(settings.out.iterdir()):
        raise IndexFolderError(f"{settings.out} exists and is not an index: choose an empty or new folder")
    settings.out.mkdir(parents=True, exist_ok=True)
    manifest = new_manifest(
        embedder.manifest, embedder.sha256, str(settings.source.resolve()), str(listing.root)
    )
    write_manifest(settings.out, manifest)
    return manifest


def _drop_stale(out: Path, manifest: IndexManifest, masks: dict[str, np.ndarray]) -> IndexManifest:
    """Rewrite shards that hold changed or removed files without those rows (manifest swaps last)."""
    if not masks:
        return manifest
    shards: list[Shard] = []
    for s in manifest.shards:
        if s.file not in masks:
            shards.append(s)
        elif masks[s.file].any():
            name = _shard_name()
            shards.append(Shard(name, filter_shard(out, s.file, masks[s.file], name)))
    new = manifest.with_changes(shards=tuple(shards), ann=None, complete=False)
    write_manifest(out, new)
    for s in manifest.shards:
        if s.file in masks:
            (out / SHARD_DIR / s.file).unlink(missing_ok=True)
    return new


def _shard_name() -> str:
    return f"part-{uuid.uuid4().hex[:12]}.parquet"


def _item(root: Path, entry: Any) -> dict[str, Any]:
    return {
        "path": str(root / entry.rel_path),
        "rel": entry.rel_path,
        "size": entry.size,
        "mtime": entry.mtime_ns,
        "identity": entry.identity,
        "label": entry.label or "",
    }


def finish_index(out: Path, manifest: IndexManifest, changed: bool) -> IndexManifest:
    """(Re)build the FAISS index from the shards when rows changed or none was built yet; the
    manifest then says `complete`."""
    if not changed and manifest.ann is not None and (out / ANN_FILE).is_file():
        done = manifest.with_changes(complete=True)
        write_manifest(out, done)
        return done
    from lookalike.engine.index.shards import read_vectors

    vectors = read_vectors(out, manifest)
    if len(vectors) == 0:
        done = manifest.with_changes(ann=None, complete=True)
    else:
        index, info = build_ann(vectors)
        write_atomically(out / ANN_FILE, save_ann(index))
        done = manifest.with_changes(ann=info.to_dict(), complete=True)
    write_manifest(out, done)
    return done


def write_index(
    out: Path, emb: FolderEmbeddings, embedder: Embedder, shard_rows: int = SHARD_ROWS
) -> IndexManifest:
    """Save embeddings the app already has (one process, no Ray) as an index folder."""
    root = str(emb.folder.resolve())
    manifest = new_manifest(embedder.manifest, embedder.sha256, root, root)
    out.mkdir(parents=True, exist_ok=True)
    write_manifest(out, manifest)
    writer = ShardWriter(out, manifest, shard_rows, [(s.path, 0, 0, s.reason, "") for s in emb.skipped])
    entry_of = {e.rel_path: e for e in scan_folder(emb.folder)[0]}
    stats = [(e.size, e.mtime_ns, e.identity) if e else (0, 0, "") for e in map(entry_of.get, emb.paths)]
    n = len(emb)
    writer.add_block(
        {
            "rel": np.asarray(emb.paths, dtype=object),
            "size": np.asarray([s[0] for s in stats], np.int64),
            "mtime": np.asarray([s[1] for s in stats], np.int64),
            "identity": np.asarray([s[2] for s in stats], dtype=object),
            "label": np.asarray([lab or "" for lab in emb.labels], dtype=object),
            "vector": emb.vectors,
            "error": np.asarray([""] * n, dtype=object),
            "worker": np.asarray([f"local {emb.provider}"] * n, dtype=object),
        }
    )
    return finish_index(out, writer.flush(), changed=True)
