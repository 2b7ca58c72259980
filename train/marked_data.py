"""The user's pair marks as training data: "is a match" adds positives, "not a match" hard negatives.

A "match" mark puts an image without a class into its partner's class, or joins two unclassed
images into a new class ("marked-N"), so a folder with no class folders but enough marks can be
taught. A mark that contradicts the class folders is left out and reported.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lookalike.engine.pair_marks import read_marks
from lookalike.train.data import FolderListing

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
    groups = _UnionFind()
    for path, label in labels.items():
        groups.union(path, f"class:{label}")
    conflicts = 0
    for a, b in pairs.matches:
        if not groups.union(a, b):
            conflicts += 1
    added = _new_labels(groups, [p for pair in pairs.matches for p in pair], labels)
    conflicts += sum(1 for a, b in pairs.non_matches if groups.find(a) == groups.find(b))
    if conflicts:
        log(f"{conflicts} mark(s) contradict the class folders and were left out")
    log(
        f"marks: {len(pairs.matches)} match, {len(pairs.non_matches)} not-a-match; "
        f"{len(added)} image(s) joined a class"
    )
    paths = listing.paths + tuple(added)
    return FolderListing(paths, listing.labels + tuple(added.values()), listing.skipped)


def _new_labels(groups: _UnionFind, marked: list[str], labels: dict[str, str]) -> dict[str, str]:
    """Classes for marked images without one: their group's class, else a new marked-N class."""
    unclassed = [p for p in dict.fromkeys(marked) if p not in labels]
    sizes: dict[str, int] = {}
    for path in unclassed:
        root = groups.find(path)
        sizes[root] = sizes.get(root, 0) + 1
    names: dict[str, str] = {}
    out: dict[str, str] = {}
    for path in unclassed:
        root = groups.find(path)
        cls = groups.classes[root]
        if cls is not None:
            out[path] = cls[len("class:") :]
        elif sizes[root] >= 2:
            out[path] = names.setdefault(root, f"marked-{len(names) + 1}")
    return out


class _UnionFind:
    """Groups of paths; a group holds at most one class (a union that would join two is refused)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.classes: dict[str, str | None] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        self.classes.setdefault(x, x if x.startswith("class:") else None)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ca, cb = self.classes[ra], self.classes[rb]
        if ca is not None and cb is not None:
            return False
        self.parent[rb] = ra
        self.classes[ra] = ca or cb
        return True


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
