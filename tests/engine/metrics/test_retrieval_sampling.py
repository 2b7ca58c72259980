"""Retrieval metrics of a big folder: a seeded sample of queries within its stated error of the
every-query value, and memory that does not grow with queries x largest class."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from lookalike.engine.metrics.evaluation import evaluate
from lookalike.engine.metrics.retrieval import retrieval_metrics, sample_error_95

from tests.engine.clusters import clustered

METRICS = ("precision_at_1", "r_precision", "mean_average_precision_at_r")


def unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_a_sample_of_queries_lands_within_its_stated_error() -> None:
    v, labels = clustered(1, [900, 700, 500, 400, 300], dim=16, spread=1.1)
    full = retrieval_metrics(v, labels, max_queries=None)
    assert full.error_95 == 0.0
    assert full.n_queries == full.query_population == len(v)
    assert 0.2 < full.mean_average_precision_at_r < 0.9  # hard enough for the sample to matter
    within = 0
    for seed in range(10):
        part = retrieval_metrics(v, labels, max_queries=300, seed=seed)
        assert (part.n_queries, part.query_population) == (300, len(v))
        assert 0.0 < part.error_95 < 0.1
        within += all(abs(getattr(part, m) - getattr(full, m)) <= part.error_95 for m in METRICS)
    assert within >= 8  # a 95 % interval on the worst of three metrics: 10 of 10 expected, 8 allowed


def test_the_stated_error_is_the_widest_95_percent_half_width() -> None:
    scores = np.array([[1.0, 0.5, 0.2], [0.0, 0.5, 0.4], [1.0, 0.5, 0.6], [1.0, 0.5, 0.8]])
    fpc = np.sqrt((100 - 4) / 99)
    assert sample_error_95(scores, 100) == pytest.approx(1.96 * 0.5 / 2 * fpc)
    assert sample_error_95(scores, 4) == 0.0  # every query scored: no sampling error


def test_evaluate_memory_stays_bounded_on_a_few_large_classes() -> None:
    v, labels = clustered(2, [5000] * 4, dim=128, spread=1.2)
    v = unit(v)
    tracemalloc.start()
    try:
        report = evaluate(v, labels)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # All queries' R = 4,999 neighbours at once took 20,000 x 4,999 x ~30 B, about 3 GB.
    assert peak < 400e6, f"evaluate peaked at {peak / 1e6:.0f} MB"
    assert report["n_queries"] < report["query_population"] == len(v)
    assert report["error_95"] > 0
