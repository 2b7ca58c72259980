"""Retrieval quality of a labelled embedding set: precision@1, R-precision and MAP@R.

Definitions follow pytorch-metric-learning's AccuracyCalculator (Musgrave et al. 2020, "A Metric
Learning Reality Check"): each image queries all others; R = number of other images of its class;
queries whose class has no other image are left out.

Bounded at any size: queries are scored in blocks of at most BLOCK_SLOTS neighbour slots (queries x
R), so memory does not grow with queries x largest class (24,000 images in 4 classes took 5.8 GB
when every query's R neighbours were held at once). Past SAMPLE_QUERIES queries a seeded uniform
sample of them is scored, and the report states the error: `error_95`, the largest of the three
metrics' 95 % confidence half-widths (1.96 standard errors of the per-query mean, with the
finite-population correction of sampling without replacement).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lookalike.engine.errors import MetricsError
from lookalike.engine.metrics.sampling import SAMPLE_QUERIES, sample_rows
from lookalike.engine.search.neighbours import ranked_rows

BLOCK_SLOTS = 2_000_000  # queries x R neighbour slots per block: ~70 MB of answers and hit arrays
Z_95 = 1.96


@dataclass(frozen=True)
class RetrievalMetrics:
    """The three retrieval scores and the counts they were computed on.

    `n_queries` were scored out of `query_population` eligible ones; when fewer, each score is within
    `error_95` of the every-query value with 95 % confidence (0 when every query was scored).
    """

    precision_at_1: float
    r_precision: float
    mean_average_precision_at_r: float
    n_images: int
    n_classes: int
    n_queries: int
    query_population: int = 0
    error_95: float = 0.0


def encode_labels(labels: Sequence[str | None]) -> np.ndarray:
    """Labels → int codes; unlabelled images get -1 and never count as a match."""
    names = sorted({lab for lab in labels if lab is not None})
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[lab] if lab is not None else -1 for lab in labels], dtype=np.int64)


def retrieval_metrics(
    vectors: np.ndarray,
    labels: Sequence[str | None],
    max_queries: int | None = SAMPLE_QUERIES,
    seed: int = 0,
) -> RetrievalMetrics:
    """Score how well each image's nearest neighbours share its class (leave-one-out); past
    `max_queries` eligible queries (None: never) on a seeded sample of them, with its error."""
    codes = encode_labels(labels)
    counts = np.bincount(codes[codes >= 0]) if (codes >= 0).any() else np.zeros(0, np.int64)
    r_per_query = np.where(codes >= 0, counts[np.maximum(codes, 0)] - 1 if len(counts) else 0, 0)
    queries = np.flatnonzero(r_per_query > 0)
    n_classes = int((counts > 0).sum())
    if n_classes < 2 or len(queries) == 0:
        raise MetricsError(
            "retrieval metrics need at least 2 classes and a class with 2 or more images "
            f"(got {n_classes} class(es), {len(labels)} image(s))"
        )
    population = len(queries)
    if max_queries is not None:
        queries = queries[sample_rows(population, max_queries, seed)]
    scores = np.concatenate(
        [_block_scores(vectors, codes, block, r_per_query[block]) for block in _blocks(queries, r_per_query)]
    )
    means = scores.mean(0)
    return RetrievalMetrics(
        float(means[0]),
        float(means[1]),
        float(means[2]),
        len(labels),
        n_classes,
        len(queries),
        population,
        sample_error_95(scores, population),
    )


def sample_error_95(scores: np.ndarray, population: int) -> float:
    """Largest 95 % half-width of the column means of `scores` (a sample of rows without
    replacement from `population`); 0 when the sample is the whole population."""
    m = len(scores)
    if m >= population or m < 2:
        return 0.0
    se = scores.std(0, ddof=1) / np.sqrt(m) * np.sqrt((population - m) / (population - 1))
    return float(Z_95 * se.max())


def _blocks(queries: np.ndarray, r_per_query: np.ndarray) -> list[np.ndarray]:
    """Consecutive runs of queries whose largest R times their count stays within BLOCK_SLOTS."""
    out, start = [], 0
    while start < len(queries):
        stop, widest = start, 0
        while stop < len(queries):
            widest = max(widest, int(r_per_query[queries[stop]]))
            if stop > start and (stop - start + 1) * widest > BLOCK_SLOTS:
                break
            stop += 1
        out.append(queries[start:stop])
        start = stop
    return out


def _block_scores(vectors: np.ndarray, codes: np.ndarray, queries: np.ndarray, r: np.ndarray) -> np.ndarray:
    """(precision@1, R-precision, average precision@R) of each query of one block."""
    max_r = int(r.max())
    idx = ranked_rows(vectors, max_r, vectors[queries], exclude_self=queries)
    hits = codes[idx] == codes[queries][:, None]
    del idx
    hits &= np.arange(max_r)[None, :] < r[:, None]  # only the first R ranks count
    cum = np.cumsum(hits, axis=1, dtype=np.int32)
    ap = (np.where(hits, cum / np.arange(1, max_r + 1, dtype=np.float32)[None, :], 0.0)).sum(1) / r
    return np.stack([hits[:, 0].astype(np.float64), cum[:, -1] / r, ap], axis=1)
