"""Planted near-copies as a yardstick: does a duplicate listing group each copy with its original
and keep every other original out? One definition for bench/duplicates/duplicate_truth.py (the shared sets)
and its test on the suite's own images, so both measure the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")


def round_robin(pools: Sequence[list[T]], n: int) -> list[T]:
    """Up to `n` items, one from the end of each pool in turn, so originals span many classes."""
    chosen: list[T] = []
    while len(chosen) < n and any(pools):
        chosen += [pool.pop() for pool in pools if pool][: n - len(chosen)]
    return chosen


def found_and_pulled(
    groups: Iterable[set[str]], pairs: Sequence[tuple[str, str]], n_originals: int
) -> tuple[float, float]:
    """(share of copies grouped with their original, share of originals pulled into a group with
    anything but their own copy); originals are the names starting "orig_", pairs (copy, original)."""
    groups = list(groups)
    found = sum(any(c in g and o in g for g in groups) for c, o in pairs)
    copy_of = {o: c for c, o in pairs}
    pulled = {
        name
        for g in groups
        for name in g
        if name.startswith("orig_") and any(n not in (name, copy_of.get(name)) for n in g)
    }
    return found / len(pairs), len(pulled) / n_originals
