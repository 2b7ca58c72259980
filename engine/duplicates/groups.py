"""Duplicate groups: images closer than the threshold, grouped without chaining strangers together.

Two ways to group the close pairs are offered and measured in bench/duplicates/duplicate_grouping.py:
connected components (one bridge pair merges two otherwise unrelated groups) and complete linkage
(every pair inside a group is below the threshold). Complete linkage is the default: see
bench/README.md for the numbers. It runs inside each connected component only, since a complete-
linkage group at threshold t never spans two components at t, so memory follows the largest
component, not the folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from lookalike.engine.errors import LookalikeError
from lookalike.engine.search.distances import (
    condensed_distances,
    gram_reach,
    index_distances,
    triangle_blocks,
)

GroupMethod = Literal["complete", "components"]
METHODS: tuple[GroupMethod, ...] = ("complete", "components")
DEFAULT_METHOD: GroupMethod = "complete"
MAX_CLOSE_PAIRS = 5_000_000  # ~120 MB of pairs; a threshold accepting more groups nothing useful
MAX_LINKAGE = 6000  # above this a component is split by its own close pairs only (memory)


class TooManyPairsError(LookalikeError):
    """The threshold accepts so many pairs that grouping them would exhaust memory and mean nothing."""


@dataclass(frozen=True)
class ClosePairs:
    """Every pair (i < j) at a distance strictly below the threshold, with its exact distance."""

    i: np.ndarray
    j: np.ndarray
    distance: np.ndarray
    threshold: float

    def where(self, keep: np.ndarray) -> ClosePairs:
        """The pairs a boolean mask keeps (a later check's verdict), at the same threshold."""
        return ClosePairs(self.i[keep], self.j[keep], self.distance[keep], self.threshold)


@dataclass(frozen=True)
class DuplicateGroups:
    """Groups of at least two rows, largest first (ties: by first row); rows sorted in a group."""

    groups: tuple[tuple[int, ...], ...]
    threshold: float
    method: GroupMethod

    @property
    def n_images(self) -> int:
        """Images that belong to some group."""
        return sum(len(g) for g in self.groups)


def close_pairs(vectors: np.ndarray, threshold: float) -> ClosePairs:
    """The pairs a threshold accepts; exact distances, as the neighbours view and compare show."""
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    count = 0
    reach = gram_reach(threshold, v)  # blocked distances err; candidates are then measured exactly
    for start, upper, d in triangle_blocks(v):
        r, c = np.nonzero(upper & (d < reach))
        i, j = r + start, c + start
        exact = index_distances(v, i, j)
        keep = exact < threshold
        found.append((i[keep], j[keep], exact[keep]))
        count += int(keep.sum())
        if count > MAX_CLOSE_PAIRS:
            raise TooManyPairsError(
                f"threshold {threshold:.4f} accepts more than {MAX_CLOSE_PAIRS:,} pairs of images here: "
                "far too loose to mean 'duplicate'; lower it"
            )
    if not found:
        return ClosePairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), float(threshold))
    i, j, dist = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return ClosePairs(i.astype(np.int64), j.astype(np.int64), dist, float(threshold))


def duplicate_groups(
    vectors: np.ndarray, threshold: float, method: GroupMethod = DEFAULT_METHOD
) -> DuplicateGroups:
    """Group the folder's images at a threshold (the app's Duplicates view and `lookalike duplicates`)."""
    pairs = close_pairs(vectors, threshold)
    return groups_from_pairs(vectors, pairs, method)


def groups_from_pairs(vectors: np.ndarray, pairs: ClosePairs, method: GroupMethod) -> DuplicateGroups:
    """Group already computed close pairs (the benchmark compares methods on one set of pairs)."""
    if method not in METHODS:
        raise ValueError(f"unknown grouping method {method!r}; expected one of {METHODS}")
    components = _components(len(vectors), pairs)
    split: Callable[[np.ndarray], list[np.ndarray]] = (
        (lambda rows: [rows]) if method == "components" else (lambda rows: _complete(vectors, rows, pairs))
    )
    groups = [tuple(int(r) for r in np.sort(g)) for comp in components for g in split(comp) if len(g) > 1]
    groups.sort(key=lambda g: (-len(g), g[0]))
    return DuplicateGroups(tuple(groups), pairs.threshold, method)


def groups_of_verified_pairs(n: int, pairs: ClosePairs) -> DuplicateGroups:
    """Group pairs that a second check (the picture check) thinned: every pair in a group must be
    one of them, so groups come from the pairs alone, never from re-measured vector distances."""
    groups = [
        tuple(int(r) for r in np.sort(g))
        for comp in _components(n, pairs)
        for g in ([comp] if len(comp) == 2 else _greedy_cliques(comp, pairs))
        if len(g) > 1
    ]
    groups.sort(key=lambda g: (-len(g), g[0]))
    return DuplicateGroups(tuple(groups), pairs.threshold, "complete")


def _components(n: int, pairs: ClosePairs) -> list[np.ndarray]:
    """Connected components of the close-pair graph with at least two members."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(pairs.i), np.int8), (pairs.i, pairs.j)), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels, minlength=count)
    order = np.argsort(labels, kind="stable")
    bounds = np.cumsum(sizes)[:-1]
    return [rows for rows in np.split(order, bounds) if len(rows) > 1]


def _complete(vectors: np.ndarray, rows: np.ndarray, pairs: ClosePairs) -> list[np.ndarray]:
    """Complete-linkage clusters of one component, cut so every pair inside is below the threshold."""
    if len(rows) == 2:
        return [rows]
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(rows) > MAX_LINKAGE:
        return _greedy_cliques(rows, pairs)
    merge = linkage(condensed_distances(np.asarray(vectors)[rows]), method="complete")
    # fcluster keeps merges whose height is <= t; a match is strictly below the threshold.
    labels = fcluster(merge, t=np.nextafter(pairs.threshold, 0.0), criterion="distance")
    order = np.argsort(labels, kind="stable")
    bounds = np.cumsum(np.bincount(labels)[1:])[:-1]
    return [rows[part] for part in np.split(order, bounds)]


def _greedy_cliques(rows: np.ndarray, pairs: ClosePairs) -> list[np.ndarray]:
    """A huge component (a threshold far too loose): closest pairs first, a row joins a group only
    when it is close to every member. Same guarantee as complete linkage, bounded memory."""
    member = np.zeros(int(max(rows.max(), pairs.i.max(initial=0), pairs.j.max(initial=0))) + 1, bool)
    member[rows] = True
    keep = member[pairs.i]
    ii, jj, dd = pairs.i[keep].tolist(), pairs.j[keep].tolist(), pairs.distance[keep]
    close: dict[int, set[int]] = {int(r): set() for r in rows}
    for a, b in zip(ii, jj, strict=True):
        close[a].add(b)
        close[b].add(a)
    group_of: dict[int, frozenset[int]] = {}
    for k in np.argsort(dd, kind="stable").tolist():
        a, b = ii[k], jj[k]
        ga, gb = group_of.get(a, frozenset({a})), group_of.get(b, frozenset({b}))
        if a in gb or not all(y in close[x] for x in ga for y in gb):
            continue
        merged = ga | gb
        for x in merged:
            group_of[x] = merged
    return [np.array(sorted(g)) for g in set(group_of.values())]
