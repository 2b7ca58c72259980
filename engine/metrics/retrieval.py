"""Retrieval quality of a labelled embedding set: precision@1, R-precision and MAP@R.

Definitions follow pytorch-metric-learning's AccuracyCalculator (Musgrave et al. 2020, "A Metric
Learning Reality Check"): each image queries all others; R = number of other images of its class;
queries whose class has no other image are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lookalike.engine.errors import MetricsError
from lookalike.engine.search.neighbours import knn


@dataclass(frozen=True)
class RetrievalMetrics:
    """The three retrieval scores and the counts they were computed on."""

    precision_at_1: float
    r_precision: float
    mean_average_precision_at_r: float
    n_images: int
    n_classes: int
    n_queries: int


def encode_labels(labels: Sequence[str | None]) -> np.ndarray:
    """Labels → int codes; unlabelled images get -1 and never count as a match."""
    names = sorted({lab for lab in labels if lab is not None})
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[lab] if lab is not None else -1 for lab in labels], dtype=np.int64)


def retrieval_metrics(vectors: np.ndarray, labels: Sequence[str | None]) -> RetrievalMetrics:
    """Score how well each image's nearest neighbours share its class (leave-one-out)."""
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
    max_r = int(r_per_query.max())
    idx, _ = knn(vectors, k=max_r, queries=vectors[queries], exclude_self=queries)
    hits = codes[idx] == codes[queries][:, None]
    r = r_per_query[queries]
    within_r = np.arange(max_r)[None, :] < r[:, None]
    hits_r = hits & within_r
    p1 = float(hits[:, 0].mean())
    rprec = float((hits_r.sum(1) / r).mean())
    cum = np.cumsum(hits_r, axis=1)
    prec_at_i = cum / np.arange(1, max_r + 1)[None, :]
    map_r = float(((prec_at_i * hits_r).sum(1) / r).mean())
    return RetrievalMetrics(p1, rprec, map_r, len(labels), n_classes, len(queries))
