"""The user's pair marks as training data: "is a match" adds positives, "not a match" hard negatives.

The grouping rules live in engine.teaching.marked_groups (the app scores held-out marked classes with the
same rules); here the marks file becomes extra labelled images and hard-negative index pairs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lookalike.engine.teaching.marked_groups import group_by_marks
from lookalike.engine.teaching.pair_marks import read_marks
from lookalike.train.data.preload import FolderListing

Log = Callable[[str], None]


@dataclass(frozen=True)
class MarkedPairs:
    """Marks resolved to absolute paths: positives (same image group) and hard negatives."""

    matches: tuple[tuple[str, str], ...]
    non_matches: tuple[tuple[str, str], ...]


def resolve_marks(marks_file: str, roots: Sequence[str]) -> MarkedPairs:
    """Read the marks file; each relative path is found under the first root that has it."""
    marks = read_marks(Path(marks_file))
    resolved = [(m, _find(m.a, roots), _find(m.b, roots)) for m in marks]
    kept = [(m, a, b) for m, a, b in resolved if a is not None and b is not None]
    return MarkedPairs(
        tuple((a, b) for m, a, b in kept if m.is_match),
        tuple((a, b) for m, a, b in kept if not m.is_match),
    )


def _find(rel: str, roots: Sequence[str]) -> str | None:
    for root in roots:
        path = os.path.join(root, rel)
        if os.path.isfile(path):
            return path
    return None


def with_marks(
    listing: FolderListing, roots: Sequence[str], marks_file: str | None, log: Log
) -> FolderListing:
    """The listing with marked images added to classes (new classes for unclassed marked groups)."""
    if marks_file is None:
        return listing
    pairs = resolve_marks(marks_file, roots)
    labels = dict(zip(listing.paths, listing.labels, strict=True))
    grouped = group_by_marks(labels, pairs.matches, pairs.non_matches)
    added, conflicts = grouped.added, grouped.conflicts
    if conflicts:
        log(f"{conflicts} mark(s) contradict the class folders and were left out")
    log(
        f"marks: {len(pairs.matches)} match, {len(pairs.non_matches)} not-a-match; "
        f"{len(added)} image(s) joined a class"
    )
    paths = listing.paths + tuple(added)
    joined = {os.path.normpath(p) for p in added}
    skipped = tuple(s for s in listing.skipped if os.path.normpath(s.path) not in joined)  # now used
    return FolderListing(paths, listing.labels + tuple(added.values()), skipped, listing.excluded)


def marked_negatives(
    marks_file: str | None, roots: Sequence[str], paths: Sequence[str], labels: Sequence[str]
) -> list[tuple[int, int]]:
    """Index pairs (into `paths`) of images the user marked "not a match", in different classes."""
    if marks_file is None:
        return []
    index = {p: i for i, p in enumerate(paths)}
    out = []
    for a, b in resolve_marks(marks_file, roots).non_matches:
        i, j = index.get(a), index.get(b)
        if i is not None and j is not None and labels[i] != labels[j]:
            out.append((i, j))
    return out
