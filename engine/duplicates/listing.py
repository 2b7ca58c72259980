"""A folder's duplicate groups with the facts and the keep proposal: what the app and the CLI list.

Symbolic links: a link and its target are one picture, so a link is never moved (moving it frees
nothing) and a file that a link of its group points to is never moved either (the link would
dangle). Both stay, with their role shown ("link", "linked").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from lookalike.engine.duplicates.groups import (
    DEFAULT_METHOD,
    ClosePairs,
    DuplicateGroups,
    GroupMethod,
    TooManyPairsError,
    close_pairs,
    duplicate_groups,
    groups_of_verified_pairs,
)
from lookalike.engine.duplicates.keep_rules import FileFacts, KeepRule, file_facts, keep_index
from lookalike.engine.duplicates.picture_pairs import FileThumbs, pair_picture_distances
from lookalike.engine.duplicates.pixel_gate import PictureCheck
from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.job_hooks import JobCancelledError, JobHooks
from lookalike.engine.search.vector_search import search_of

CANDIDATES = 10  # nearest neighbours per image that may be its duplicates (in a big folder)
MAX_ALL_CANDIDATES = 1_000_000  # close pairs checked one by one up to this many
# Past this many images every close pair is not looked for: the scan over all pairs grows with the
# square of the folder (bench/app/big_folder.py, 30,000 images: 46 s to find 803,040 close pairs,
# 158 s to list duplicates, against 20 s at 10,000), so each image's CANDIDATES nearest stand in.
ALL_PAIRS_MAX_IMAGES = 10_000
GROUP_COLUMNS = ("group", "path", "keep", "bytes", "width", "height", "modified")
Role = Literal["keep", "move", "link", "linked"]
ROLE_NAMES: dict[Role, str] = {
    "keep": "keep",
    "move": "move",
    "link": "stays (a link)",
    "linked": "stays (a link points here)",
}


@dataclass(frozen=True)
class DuplicateGroup:
    """One group: its rows in the folder embeddings, the facts of each image, and which to keep."""

    rows: tuple[int, ...]
    files: tuple[FileFacts, ...]
    keep: int

    def role(self, i: int) -> Role:
        """What the proposal does with file `i`: keep, move, or leave it (a link, or a link's target)."""
        f = self.files[i]
        if i == self.keep:
            return "keep"
        if f.link_to is not None:
            return "link"
        if f.real and f.real in {g.real for g in self.files if g.link_to is not None}:
            return "linked"
        return "move"

    def moving(self) -> list[FileFacts]:
        """The facts of the images the proposal would move away."""
        return [f for i, f in enumerate(self.files) if self.role(i) == "move"]

    def others(self) -> list[str]:
        """Relative paths of the images the proposal would move away."""
        return [f.rel_path for f in self.moving()]


@dataclass(frozen=True)
class DuplicateListing:
    """Every group of a folder at one threshold, largest first."""

    groups: tuple[DuplicateGroup, ...]
    threshold: float
    method: GroupMethod
    rule: KeepRule
    picture_threshold: float | None = None
    pixel_gate: float | None = None  # the pixel gate the pairs passed (engine.duplicates.pixel_gate)

    def with_rule(self, rule: KeepRule) -> DuplicateListing:
        """The same groups with another keep rule (no regrouping, no file access)."""
        groups = tuple(DuplicateGroup(g.rows, g.files, keep_index(g.files, rule)) for g in self.groups)
        return replace(self, groups=groups, rule=rule)


def list_duplicates(
    emb: FolderEmbeddings,
    threshold: float,
    rule: KeepRule = "largest",
    method: GroupMethod = DEFAULT_METHOD,
    hooks: JobHooks | None = None,
    picture: PictureCheck | None = None,
) -> DuplicateListing | None:
    """Group the folder and read each grouped file's facts; None when cancelled midway (`hooks`:
    progress through the picture check's steps, and the caller's cancel).

    With `picture` (a model's DuplicateChoice.check), a close pair counts only if the two files
    also pass the picture check (engine.duplicates.picture_check), after the pixel gate where the
    model has one (engine.duplicates.pixel_gate): "the same picture", not "the same class".
    """
    hooks = hooks or JobHooks()
    try:
        if picture is None:
            found = duplicate_groups(emb.vectors, threshold, method)
        else:
            found = _picture_checked_groups(emb, threshold, picture, hooks)
        groups = []
        for rows in found.groups:
            if hooks.cancelled():
                return None
            files = tuple(file_facts(emb.folder, emb.paths[r]) for r in rows)
            groups.append(DuplicateGroup(rows, files, keep_index(files, rule)))
    except JobCancelledError:
        return None
    picture_threshold = None if picture is None else picture.threshold
    gate = None if picture is None or picture.gate is None else picture.gate.threshold
    return DuplicateListing(tuple(groups), found.threshold, method, rule, picture_threshold, gate)


def _picture_checked_groups(
    emb: FolderEmbeddings, threshold: float, picture: PictureCheck, hooks: JobHooks
) -> DuplicateGroups:
    """Candidates by embedding (each image's nearest neighbours within the threshold: bounded at
    CANDIDATES per image, however loose the threshold), kept when the files' pictures agree too;
    files are read only for candidates that pass the pixel gate (engine.duplicates.picture_pairs,
    whose progress `hooks` hear)."""
    pairs = _candidates(emb, threshold)
    if picture.gate is not None:
        pairs = pairs.where(picture.gate.passes(emb.vectors, pairs.i, pairs.j))
    files = FileThumbs([emb.folder / p for p in emb.paths])
    same = pair_picture_distances(files, pairs.i, pairs.j, hooks) < picture.threshold
    return groups_of_verified_pairs(len(emb.vectors), pairs.where(same))


def _candidates(emb: FolderEmbeddings, threshold: float) -> ClosePairs:
    """Every close pair while they are few enough to check (a group of a thousand identical copies
    stays one group); in a folder past ALL_PAIRS_MAX_IMAGES, or past MAX_ALL_CANDIDATES close
    pairs, each image's nearest CANDIDATES only."""
    if len(emb.vectors) > ALL_PAIRS_MAX_IMAGES:
        return candidate_pairs(emb, threshold)
    try:
        pairs = close_pairs(emb.vectors, threshold)
    except TooManyPairsError:
        return candidate_pairs(emb, threshold)
    return pairs if len(pairs.i) <= MAX_ALL_CANDIDATES else candidate_pairs(emb, threshold)


def candidate_pairs(emb: FolderEmbeddings, threshold: float) -> ClosePairs:
    """Pairs (i < j) where one is among the other's CANDIDATES nearest and closer than `threshold`.

    A near-copy is among its original's nearest few in any folder; the cap keeps the pair count
    (and the files to read) proportional to the folder, not to its square.
    """
    n = len(emb.vectors)
    k = min(CANDIDATES, n - 1)
    if k <= 0:
        empty = np.zeros(0, np.int64)
        return ClosePairs(empty, empty, np.zeros(0), float(threshold))
    idx, dist = search_of(emb).search(emb.vectors, k, exclude_self=np.arange(n))
    rows = np.repeat(np.arange(n), k)
    cols, d = idx.ravel(), dist.ravel()
    keep = (cols >= 0) & (d < threshold)
    i, j = np.minimum(rows[keep], cols[keep]), np.maximum(rows[keep], cols[keep])
    pair_ids, first = np.unique(i.astype(np.int64) * n + j, return_index=True)
    return ClosePairs(pair_ids // n, pair_ids % n, d[keep][first].astype(np.float64), float(threshold))


def listing_document(listing: DuplicateListing) -> dict[str, Any]:
    """The listing as one JSON object (`lookalike duplicates --json` and File → Export)."""
    return {
        "threshold": listing.threshold,
        "method": listing.method,
        "keep_rule": listing.rule,
        "groups": [
            {
                "keep": g.files[g.keep].rel_path,
                "images": [
                    _facts_json(f) | {"keep": i == g.keep, "action": g.role(i), "link_to": f.link_to}
                    for i, f in enumerate(g.files)
                ],
            }
            for g in listing.groups
        ],
    }


def listing_rows(listing: DuplicateListing) -> list[tuple[object, ...]]:
    """One row per grouped image, in GROUP_COLUMNS order (CSV)."""
    return [
        (n, f.rel_path, i == g.keep, f.bytes, f.width, f.height, f.modified_iso)
        for n, g in enumerate(listing.groups, start=1)
        for i, f in enumerate(g.files)
    ]


def _facts_json(f: FileFacts) -> dict[str, Any]:
    return {
        "path": f.rel_path,
        "bytes": f.bytes,
        "width": f.width,
        "height": f.height,
        "modified": f.modified_iso,
    }
