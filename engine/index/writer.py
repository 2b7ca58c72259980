"""Turns the blocks Ray hands back into shards and skip records, and keeps the manifest current."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
from lookalike.engine.index.manifest import IndexManifest, Shard, write_manifest
from lookalike.engine.index.shards import Rows, SkipRecord, write_shard, write_skipped


class ShardWriter:
    """Buffers rows, writes a shard every `shard_rows`, then names it in the manifest (manifest last)."""

    def __init__(
        self, out: Path, manifest: IndexManifest, shard_rows: int, skipped: list[SkipRecord]
    ) -> None:
        self.out, self.manifest, self.shard_rows = out, manifest, shard_rows
        self.rows = Rows.empty()
        self.skipped = list(skipped)
        self._skipped_written = -1
        self.seen: set[str] = set()
        self.returned = self.written = self.duplicates = 0
        self.workers: dict[str, str] = dict(manifest.workers)

    def add_block(self, block: dict[str, np.ndarray]) -> None:
        """One block from Ray: embedded rows join the buffer, failed ones the skipped table."""
        for w in set(block["worker"]):
            where, _, provider = str(w).rpartition(" ")
            self.workers[where] = provider
        for i, rel in enumerate(block["rel"]):
            rel = str(rel)
            if rel in self.seen:
                self.duplicates += 1  # a block Ray delivered twice: the first copy is kept
                continue
            self.seen.add(rel)
            self.returned += 1
            size, mtime = int(block["size"][i]), int(block["mtime"][i])
            identity = str(block["identity"][i])
            if block["error"][i]:
                self.skip((rel, size, mtime, str(block["error"][i]), identity))
                continue
            label = str(block["label"][i])
            self.rows.path.append(rel)
            self.rows.size.append(size)
            self.rows.mtime.append(mtime)
            self.rows.identity.append(identity)
            self.rows.label.append(label or None)
            self.rows.vector.append(np.asarray(block["vector"][i], np.float32))
            if len(self.rows) >= self.shard_rows:
                self.flush()

    def skip(self, record: SkipRecord) -> None:
        """A file that could not be embedded, kept with its reason and identity."""
        self.skipped.append(record)

    def flush(self) -> IndexManifest:
        """Write the buffered rows as a shard (and the skipped table), then the manifest."""
        shards = self.manifest.shards
        if len(self.rows):
            name = f"part-{uuid.uuid4().hex[:12]}.parquet"
            write_shard(self.out, name, self.rows, self.manifest.embedding_dim)
            shards = (*shards, Shard(name, len(self.rows)))
            self.written += len(self.rows)
            self.rows = Rows.empty()
        skipped_file = self.manifest.skipped_file
        if len(self.skipped) != self._skipped_written:
            skipped_file = write_skipped(self.out, sorted(self.skipped))
            self._skipped_written = len(self.skipped)
        self.manifest = self.manifest.with_changes(
            shards=shards,
            skipped_file=skipped_file,
            n_skipped=len(self.skipped),
            workers=dict(self.workers),
            ann=None if shards != self.manifest.shards else self.manifest.ann,
            complete=False,
        )
        write_manifest(self.out, self.manifest)
        return self.manifest
