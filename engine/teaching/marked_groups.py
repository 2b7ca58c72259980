"""Groups that "is a match" marks make: an unclassed image joins its partner's class, or two
unclassed images form a new class "marked-N", so a folder with no class folders can be taught.

One rule set for training (train/marked_data) and for the app's held-out scoring. A mark that
would join two different classes, or a "not a match" inside one group, contradicts the class
folders: it is left out and counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_CLASS = "class:"


@dataclass(frozen=True)
class MarkGroups:
    """Classes for marked images that had none, and how many marks were left out."""

    added: dict[str, str]
    conflicts: int


def group_by_marks(
    labels: Mapping[str, str],
    matches: Sequence[tuple[str, str]],
    non_matches: Sequence[tuple[str, str]] = (),
) -> MarkGroups:
    """Apply match marks to images keyed by path (`labels`: the images that have a class)."""
    groups = _UnionFind()
    for path, label in labels.items():
        groups.union(path, _CLASS + label)
    conflicts = sum(1 for a, b in matches if not groups.union(a, b))
    added = _new_labels(groups, [p for pair in matches for p in pair], labels)
    conflicts += sum(1 for a, b in non_matches if groups.find(a) == groups.find(b))
    return MarkGroups(added, conflicts)


def _new_labels(groups: _UnionFind, marked: list[str], labels: Mapping[str, str]) -> dict[str, str]:
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
            out[path] = cls[len(_CLASS) :]
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
        self.classes.setdefault(x, x if x.startswith(_CLASS) else None)
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
