"""Embed a folder incrementally: cached vectors reused, decode overlapped with inference.

Shared by the CLI and the GUI: progress is a callback, cancel a flag (anything with `is_set()`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
from lookalike.engine.errors import ImageLoadError
from lookalike.engine.folder import cpu_split
from lookalike.engine.folder.cache import (
    CachedVectors,
    cache_path,
    default_cache_dir,
    load_cache,
    remove_orphaned_temps,
    save_cache,
)
from lookalike.engine.folder.cache_housekeeping import mark_used, prune_cache
from lookalike.engine.folder.captions import caption, shared_names
from lookalike.engine.folder.letting_go import free_gradually
from lookalike.engine.folder.scan import ImageEntry, SkippedFile, scan_folder
from lookalike.engine.images.loading import load_prepared
from lookalike.engine.model.embedder import Embedder

ProgressCallback = Callable[[int, int], None]
CHECKPOINT_SECONDS = 10.0


class CancelFlag(Protocol):
    """Anything with `is_set()`, such as threading.Event."""

    def is_set(self) -> bool: ...


@dataclass
class FolderEmbeddings:
    """A folder's embeddings in a stable order, plus what was skipped and how it was computed."""

    folder: Path
    paths: list[str]
    labels: list[str | None]
    vectors: np.ndarray
    skipped: list[SkippedFile] = field(default_factory=list)
    provider: str = "CPU"
    n_embedded: int = 0
    n_cached: int = 0
    cancelled: bool = False
    notices: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)

    @cached_property
    def class_names(self) -> list[str]:
        """The folder's classes, sorted, found once: the app asks for them in a worker as the folder
        comes in (at 100,000 images the set took the UI thread 17 ms of the moment it opens)."""
        return sorted({lab for lab in self.labels if lab is not None})

    @cached_property
    def has_labels(self) -> bool:
        """True when at least two classes exist, so label-based metrics make sense. Counted once (a
        folder's labels do not change): views ask per row shown, and counting 100,000 labels took
        18 ms a time, 220 ms per slider move (bench/app/big_folder.py)."""
        return len(self.class_names) >= 2

    @cached_property
    def shared_names(self) -> frozenset[str]:
        """File names more than one image has (engine.folder.captions), found once: the app asks for
        them in a worker as the folder comes in, since at 100,000 paths they took tens of ms."""
        return shared_names(self.paths)

    def caption(self, index: int) -> str:
        """Image `index`'s caption: its name, and its class where the name is shared."""
        return caption(self.paths[index], self.labels[index], self.shared_names)

    @cached_property
    def lower_paths(self) -> list[str]:
        """Relative paths in lower case, for a case-blind name filter over every row, made once
        (when the app's name filter is first used)."""
        return [p.lower() for p in self.paths]

    def abs_path(self, index: int) -> Path:
        """Absolute path of image `index`."""
        return self.folder / self.paths[index]


def joined_path(folder: str, rel_path: str) -> str:
    """str(FolderEmbeddings.abs_path) for a folder given as text, without pathlib: views that make
    tens of thousands of paths (the gallery's rows, the duplicates table) pay a tenth of the cost."""
    return os.path.join(folder, *rel_path.split("/"))


def decode_workers() -> int:
    """Decode threads: the cores CPU inference leaves free (engine.folder.cpu_split), at least two."""
    return cpu_split.decode_workers()


def embed_folder(
    folder: str | os.PathLike[str],
    embedder: Embedder,
    progress: ProgressCallback | None = None,
    cancel: CancelFlag | None = None,
    cache_dir: Path | None = None,
    batch_size: int = 64,
) -> FolderEmbeddings:
    """Embed every image under `folder`, reusing the cache; never writes inside the folder."""
    root = Path(folder)
    entries, skipped = scan_folder(root)
    cpath = cache_path(cache_dir or default_cache_dir(), root, embedder.sha256)
    cache = load_cache(cpath, embedder.dim, embedder.sha256)
    vectors: dict[str, np.ndarray] = {}
    todo: list[ImageEntry] = []
    for e in entries:
        hit = cache.get(e.key)
        if hit is None:
            todo.append(e)
        else:
            vectors[e.rel_path] = hit
    n_cached = len(vectors)
    total = len(entries)
    if progress:
        progress(n_cached, total)
    saver = _Checkpointer(cpath, embedder.sha256, entries)
    n_skipped = 0
    for batch_entries, batch_vecs, batch_skips in _embed_entries(root, todo, embedder, batch_size, cancel):
        for e, v in zip(batch_entries, batch_vecs, strict=True):
            vectors[e.rel_path] = v
        skipped.extend(batch_skips)
        n_skipped += len(batch_skips)
        if progress:
            progress(len(vectors) + n_skipped, total)
        saver.maybe_save(vectors)
        if _is_set(cancel):
            break
    # Cancelled means work was left undone, also when the flag was set before the first batch.
    cancelled = bool(cancel is not None and cancel.is_set() and len(vectors) + n_skipped < total)
    if todo or n_cached != len(cache.keys) or cache.notice or not cpath.exists():
        saver.save(vectors)  # an unchanged folder's cache is already exact: no rewrite, no fsync
    else:
        remove_orphaned_temps(cpath)  # a writer killed after its last save may have left a temp file
    mark_used(cpath)
    prune_cache(cpath.parent, keep=cpath)
    notice = "; ".join(n for n in (cache.notice, saver.notice) if n) or None
    tally = _Tally(n_cached, cancelled, notice, _in_order(cache, entries) if not todo else None)
    result = _result(root, entries, vectors, skipped, embedder, tally)
    free_gradually(vectors, cache.keys, todo, entries)  # not all at once as this returns (letting_go)
    return result


def _in_order(cache: CachedVectors, entries: list[ImageEntry]) -> np.ndarray | None:
    """The cache's own array when it holds exactly these files in this order (an unchanged folder
    opened again): the folder's vectors without a second copy of them (6 KB per image at 1,536
    numbers, both alive at once otherwise)."""
    if len(cache.keys) != len(entries):
        return None
    in_order = all(cache.keys.get(e.key) == i for i, e in enumerate(entries))
    return cache.vectors if in_order else None


class _Checkpointer:
    """Saves the cache every few seconds during a long scan, so a crash or kill loses little."""

    def __init__(self, path: Path, model_sha: str, entries: list[ImageEntry]) -> None:
        self.path, self.model_sha, self.entries = path, model_sha, entries
        self.last = time.monotonic()
        self.notice: str | None = None

    def maybe_save(self, vectors: dict[str, np.ndarray]) -> None:
        if time.monotonic() - self.last >= CHECKPOINT_SECONDS:
            self.save(vectors)

    def save(self, vectors: dict[str, np.ndarray]) -> None:
        kept = [e for e in self.entries if e.rel_path in vectors]
        rows = [vectors[e.rel_path] for e in kept]
        stack = np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
        self.notice = save_cache(self.path, self.model_sha, [e.key for e in kept], stack)
        self.last = time.monotonic()


def _embed_entries(
    root: Path,
    todo: list[ImageEntry],
    embedder: Embedder,
    batch_size: int,
    cancel: CancelFlag | None,
) -> Iterator[tuple[list[ImageEntry], np.ndarray, list[SkippedFile]]]:
    """Decode in a thread pool (bounded look-ahead) while the caller's thread runs inference."""
    if not todo:
        return
    min_side = embedder.manifest.preprocessing.input_size

    def prepare(entry: ImageEntry) -> np.ndarray | str:
        try:
            return load_prepared(root / entry.rel_path, embedder.prepare, min_side=min_side)
        except ImageLoadError as exc:
            return str(exc)

    pool = ThreadPoolExecutor(max_workers=decode_workers(), thread_name_prefix="decode")
    try:
        lookahead = batch_size * 3
        pending: list[tuple[ImageEntry, Future[np.ndarray | str]]] = []
        it = iter(todo)
        for entry in _take(it, lookahead):
            pending.append((entry, pool.submit(prepare, entry)))
        while pending and not _is_set(cancel):
            head, pending = pending[:batch_size], pending[batch_size:]
            for entry in _take(it, len(head)):
                pending.append((entry, pool.submit(prepare, entry)))
            yield _run_batch(head, embedder, cancel)
    finally:
        # Queued decodes are dropped, running ones are not waited for: a cancel returns at once.
        pool.shutdown(wait=False, cancel_futures=True)


def _is_set(cancel: CancelFlag | None) -> bool:
    return cancel is not None and cancel.is_set()


def _take(it: Iterator[ImageEntry], n: int) -> list[ImageEntry]:
    out: list[ImageEntry] = []
    for entry in it:
        out.append(entry)
        if len(out) >= n:
            break
    return out


def _run_batch(
    head: list[tuple[ImageEntry, Future[np.ndarray | str]]], embedder: Embedder, cancel: CancelFlag | None
) -> tuple[list[ImageEntry], np.ndarray, list[SkippedFile]]:
    """Embed a batch; once cancelled, only the images already decoded (the rest stay to do)."""
    ok: list[ImageEntry] = []
    arrays: list[np.ndarray] = []
    skips: list[SkippedFile] = []
    for entry, fut in head:
        if _is_set(cancel) and not fut.done():
            continue
        result = fut.result()
        if isinstance(result, str):
            skips.append(SkippedFile(entry.rel_path, result))
        else:
            ok.append(entry)
            arrays.append(result)
    if not arrays:
        return ok, np.zeros((0, embedder.dim), dtype=np.float32), skips
    vectors, reasons = embedder.embed_rows(np.stack(arrays))
    skips += [SkippedFile(e.rel_path, f"the model {why}") for e, why in zip(ok, reasons, strict=True) if why]
    keep = [i for i, why in enumerate(reasons) if not why]
    return [ok[i] for i in keep], vectors[keep], skips


@dataclass(frozen=True)
class _Tally:
    """How a scan went, beside its vectors: reused from the cache, stopped early, what to tell."""

    n_cached: int
    cancelled: bool
    notice: str | None
    whole: np.ndarray | None = None  # every vector, in the entries' order, when already one array


def _result(
    root: Path,
    entries: list[ImageEntry],
    vectors: dict[str, np.ndarray],
    skipped: list[SkippedFile],
    embedder: Embedder,
    tally: _Tally,
) -> FolderEmbeddings:
    kept = [e for e in entries if e.rel_path in vectors]
    if tally.whole is not None and len(tally.whole) == len(kept):
        stack = tally.whole
    elif kept:
        stack = np.stack([vectors[e.rel_path] for e in kept])
    else:
        stack = np.zeros((0, embedder.dim), dtype=np.float32)
    return FolderEmbeddings(
        folder=root,
        paths=[e.rel_path for e in kept],
        labels=[e.label for e in kept],
        vectors=stack.astype(np.float32, copy=False),
        skipped=sorted(skipped, key=lambda s: s.path),
        provider=embedder.provider,
        n_embedded=len(kept) - tally.n_cached,
        n_cached=tally.n_cached,
        cancelled=tally.cancelled,
        notices=[tally.notice] if tally.notice else [],
    )
