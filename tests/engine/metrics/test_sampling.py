"""The one way rows are sampled: every row under the limit; past it `limit` distinct rows in range,
ascending, the same for a seed and drawn as numpy's default_rng(seed).choice draws them (so a seed
means the same rows wherever it is given)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from lookalike.engine.metrics import sampling
from lookalike.engine.metrics.sampling import sample_rows


@pytest.mark.parametrize(("n", "limit"), [(0, 5), (1, 5), (5, 5), (4, 20_000)])
def test_every_row_when_under_the_limit(n: int, limit: int) -> None:
    rows = sample_rows(n, limit, seed=3)
    assert rows.tolist() == list(range(n))


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_past_the_limit_rows_are_distinct_sorted_and_in_range(seed: int) -> None:
    rows = sample_rows(10_000, 300, seed)
    assert len(rows) == 300
    assert len(np.unique(rows)) == 300
    assert (np.diff(rows) > 0).all()
    assert rows.min() >= 0
    assert rows.max() < 10_000
    assert np.issubdtype(rows.dtype, np.integer)


def test_a_seed_gives_the_same_rows_and_another_seed_others() -> None:
    assert (sample_rows(5_000, 100, seed=4) == sample_rows(5_000, 100, seed=4)).all()
    assert not (sample_rows(5_000, 100, seed=4) == sample_rows(5_000, 100, seed=5)).all()


def test_the_draw_is_numpys_seeded_choice() -> None:
    want = np.sort(np.random.default_rng(11).choice(50_000, 2_000, replace=False))
    assert (sample_rows(50_000, 2_000, seed=11) == want).all()


def test_the_sample_is_spread_over_the_rows() -> None:
    rows = sample_rows(100_000, 4_000, seed=0)
    counts = np.bincount(rows // 10_000, minlength=10)
    assert counts.min() > 300  # 400 a tenth expected; a biased draw fails
    assert counts.max() < 500


def test_callers_default_to_the_policy_limits() -> None:
    from lookalike.engine.map.projection import tsne_2d
    from lookalike.engine.metrics.retrieval import retrieval_metrics

    assert inspect.signature(tsne_2d).parameters["max_points"].default == sampling.MAX_MAP_POINTS
    assert inspect.signature(retrieval_metrics).parameters["max_queries"].default == sampling.SAMPLE_QUERIES
