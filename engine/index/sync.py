"""What a re-run of `lookalike index` must do: which rows stay, which go, which files to embed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lookalike.engine.folder.scan import ImageEntry
from lookalike.engine.index.manifest import IndexManifest
from lookalike.engine.index.shards import SkipRecord, read_identities, read_skip_records
from lookalike.engine.index.source import SourceListing


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
    """Compare each row's file identity with the source as it is now: the embedding cache's own
    key (size, mtime, ctime, inode, and a content hash when the timestamps are doubtful), so a file
    rewritten at the same size with its mtime put back is embedded again."""
    current = {e.rel_path: e.identity for e in listing.entries}
    done: set[str] = set()
    masks: dict[str, np.ndarray] = {}
    dropped = 0
    for shard in manifest.shards:
        paths, identities = read_identities(out, shard.file)
        keep = np.zeros(len(paths), bool)
        for i, (p, identity) in enumerate(zip(paths, identities, strict=True)):
            keep[i] = bool(identity) and current.get(p) == identity and p not in done
            if keep[i]:
                done.add(p)
        if not keep.all():
            masks[shard.file] = keep
            dropped += int((~keep).sum())
    skipped = [r for r in read_skip_records(out, manifest) if r[4] and current.get(r[0]) == r[4]]
    tried = done | {r[0] for r in skipped}
    todo = [e for e in listing.entries if e.rel_path not in tried]
    return SyncPlan(todo, masks, skipped, dropped)
