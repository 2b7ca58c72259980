"""count_below equals numpy's float64 search for every threshold, including exact and adjacent values."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from lookalike.engine.thresholds.sorted_counts import count_below, counts_below


def _plain(values: np.ndarray, t: float) -> int:
    return int(sum(float(v) < t for v in values))  # a plain loop, in float64


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0, 2, width=32), min_size=0, max_size=60),
    st.floats(-1, 3, allow_nan=False),
)
def test_count_below_matches_a_plain_loop(raw: list[float], t: float) -> None:
    values = np.sort(np.asarray(raw, np.float32))
    assert count_below(values, t) == _plain(values, t)


def test_thresholds_at_and_between_float32_values() -> None:
    values = np.sort(np.random.default_rng(0).random(2000).astype(np.float32))
    values[100:110] = values[100]  # ties
    for v in values[::37]:
        for t in (float(v), np.nextafter(float(v), 3.0), np.nextafter(float(v), -1.0), float(v) + 1e-12):
            assert count_below(values, t) == int(np.searchsorted(values.astype(np.float64), t))
    assert count_below(values, float("inf")) == len(values)
    assert list(counts_below(values, np.array([0.0, 2.0]))) == [0, len(values)]
