"""What a re-run of `lookalike index` must do: which rows stay, which go, which files to embed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lookalike.engine.folder.scan import ImageEntry
from lookalike.engine.index.manifest import IndexManifest
from lookalike.engine.index.shards import read_keys, read_skipped
from lookalike.engine.index.source import SourceListing

SkipRecord = tuple[str, int, int, str]


@dataclass(frozen=True)
class SyncPlan:
    """Files to embed; per shard, a keep-mask where some rows are stale; skip records still valid."""

    todo: list[ImageEntry]
    keep_masks: dict[str, np.ndarray]
    skipped_kept: list[SkipRecord]
    n_dropped: int

    @property
    def changed(self) -> bool:
        """True when rows were dropped (the FAISS index must be rebuilt even with nothing new)."""
        return self.n_dropped > 0


def sync_plan(out: Path, manifest: IndexManifest, listing: SourceListing) -> SyncPlan:
    """Compare the index's (path, size, mtime) keys with the source as it is now."""
    current = {e.rel_path: (e.size, e.mtime_ns) for e in listing.entries}
    done: set[str] = set()
    masks: dict[str, np.ndarray] = {}
    dropped = 0
    for shard in manifest.shards:
        keys = read_keys(out, manifest, shard.file)
        keep = np.zeros(len(keys["path"]), bool)
        for i, (p, s, m) in enumerate(zip(keys["path"], keys["size"], keys["mtime"], strict=True)):
            keep[i] = current.get(p) == (s, m) and p not in done
            if keep[i]:
                done.add(p)
        if not keep.all():
            masks[shard.file] = keep
            dropped += int((~keep).sum())
    skipped = [r for r in read_skipped(out, manifest) if current.get(r[0]) == (r[1], r[2])]
    tried = done | {r[0] for r in skipped}
    todo = [e for e in listing.entries if e.rel_path not in tried]
    return SyncPlan(todo, masks, skipped, dropped)
