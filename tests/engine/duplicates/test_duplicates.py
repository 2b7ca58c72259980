"""Duplicate groups, keep rules and moves with undo, on real sample images with real duplicates."""

from __future__ import annotations

import itertools
from typing import cast

import numpy as np
import pytest
from lookalike.engine.duplicates import groups as duplicate_groups_module
from lookalike.engine.duplicates.groups import TooManyPairsError, close_pairs, duplicate_groups
from lookalike.engine.duplicates.keep_rules import FileFacts, KeepRule, keep_index
from lookalike.engine.duplicates.listing import list_duplicates
from lookalike.engine.folder.embedding import FolderEmbeddings, embed_folder
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder

from tests.duplicate_samples import EXACT, RESIZED, duplicate_threshold, samples_with_duplicates


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> FolderEmbeddings:
    folder = samples_with_duplicates(tmp_path_factory.mktemp("dups") / "samples")
    cache = tmp_path_factory.mktemp("cache")  # module scope: before the per-test cache fixture
    return embed_folder(folder, Embedder(default_model_path(), device="cpu"), cache_dir=cache)


def _plain_pairs(v: np.ndarray, t: float) -> set[tuple[int, int]]:
    return {
        (i, j)
        for i, j in itertools.combinations(range(len(v)), 2)
        if np.linalg.norm(v[i].astype(np.float64) - v[j]) < t
    }


@pytest.mark.parametrize("t", [0.1, 0.3, 0.6])
def test_close_pairs_equal_a_plain_loop(samples: FolderEmbeddings, t: float) -> None:
    pairs = close_pairs(samples.vectors, t)
    assert set(zip(pairs.i.tolist(), pairs.j.tolist(), strict=True)) == _plain_pairs(samples.vectors, t)
    assert (pairs.distance < t).all()


@pytest.mark.parametrize("t", [0.1, 0.3, 0.6])
def test_complete_groups_never_hold_a_pair_above_the_threshold(samples: FolderEmbeddings, t: float) -> None:
    close = _plain_pairs(samples.vectors, t)
    complete = duplicate_groups(samples.vectors, t, "complete")
    components = duplicate_groups(samples.vectors, t, "components")
    for g in complete.groups:
        assert all(pair in close for pair in itertools.combinations(g, 2))
    # Each complete-linkage group lies inside one component; components cover every close pair.
    member = {r: n for n, g in enumerate(components.groups) for r in g}
    assert all(len({member[r] for r in g}) == 1 for g in complete.groups)
    assert all(member[i] == member[j] for i, j in close)
    sizes = [len(g) for g in complete.groups]
    assert sizes == sorted(sizes, reverse=True)


def test_the_made_duplicates_are_found(samples: FolderEmbeddings) -> None:
    listing = list_duplicates(samples, duplicate_threshold())
    assert listing is not None
    grouped = [{samples.paths[r] for r in g.rows} for g in listing.groups]
    for src, copy in (RESIZED, EXACT):
        assert any({src, copy} <= g for g in grouped), (src, copy)


def test_keep_rules() -> None:
    group = [
        FileFacts("a/long/name.jpg", 900, 100, 100, 10.0),
        FileFacts("b.jpg", 500, 50, 50, 30.0),
        FileFacts("c/big.jpg", 100, 200, 200, 20.0),
    ]
    assert keep_index(group, "largest") == 2
    assert keep_index(group, "newest") == 1
    assert keep_index(group, "shortest-path") == 1
    with pytest.raises(ValueError, match="keep rule"):
        keep_index(group, cast(KeepRule, "smallest"))  # not a rule: checked at run time too


def test_listing_proposes_the_rule_and_reads_real_facts(samples: FolderEmbeddings) -> None:
    listing = list_duplicates(samples, duplicate_threshold(), rule="largest")
    assert listing is not None
    resized = next(g for g in listing.groups if RESIZED[1] in [f.rel_path for f in g.files])
    kept = resized.files[resized.keep]
    assert kept.rel_path != RESIZED[1]  # the half-size copy is never the largest
    small = next(f for f in resized.files if f.rel_path == RESIZED[1])
    assert kept.pixels > small.pixels > 0
    newest = listing.with_rule("newest")
    exact = next(g for g in newest.groups if EXACT[1] in [f.rel_path for f in g.files])
    assert exact.files[exact.keep].rel_path != EXACT[1]  # the copy was dated 2020


def test_a_threshold_accepting_too_many_pairs_is_refused(
    samples: FolderEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duplicate_groups_module, "MAX_CLOSE_PAIRS", 50)
    with pytest.raises(TooManyPairsError, match="far too loose"):
        duplicate_groups(samples.vectors, 2.0)
    assert len(duplicate_groups(samples.vectors, 0.05).groups) >= 1
