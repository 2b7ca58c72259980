"""The planted-copies yardstick on constructed groups: what counts as found and as pulled in."""

from __future__ import annotations

from lookalike.engine.duplicates.planted import found_and_pulled, round_robin


def test_a_copy_with_its_original_is_found_and_a_stranger_in_a_group_is_pulled() -> None:
    pairs = [("copy_000.jpg", "orig_000.png"), ("copy_001.jpg", "orig_001.png")]
    groups = [
        {"copy_000.jpg", "orig_000.png"},  # found, nobody pulled
        {"copy_001.jpg", "orig_002.png"},  # copy 1 missed its original; orig_002 pulled in
        {"orig_003.png", "orig_004.png"},  # two different originals: both pulled
    ]
    assert found_and_pulled(groups, pairs, n_originals=10) == (0.5, 0.3)


def test_round_robin_takes_one_per_pool_in_turn_and_stops_when_they_run_dry() -> None:
    pools = [["a1", "a2"], ["b1"], ["c1", "c2", "c3"]]
    assert round_robin([list(p) for p in pools], 4) == ["a2", "b1", "c3", "a1"]
    assert round_robin([list(p) for p in pools], 99) == ["a2", "b1", "c3", "a1", "c2", "c1"]
