"""The duplicate thresholds: the (embedding, picture) pair that keeps the most copies within the
false rate, on constructed distances and on the suite's real images with the bundled model."""

from __future__ import annotations

import numpy as np
from lookalike.engine.duplicates.calibration import (
    FALSE_RATE,
    NO_PICTURE_CHECK,
    _best_pair,
    calibrate_duplicates,
)
from lookalike.engine.images.loading import load_image
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder

from tests.real_data import DATA


def _false_rate(t_e: float, t_p: float, pair_e: np.ndarray, pair_p: np.ndarray) -> float:
    return float(np.mean((pair_e < t_e) & (pair_p < t_p)))


def test_the_embedding_alone_wins_when_the_picture_check_only_costs_copies() -> None:
    rng = np.random.default_rng(0)
    copy_e, copy_p = rng.uniform(0.0, 0.2, 500), rng.uniform(0.0, 1.0, 500)  # pictures disagree
    pair_e, pair_p = rng.uniform(0.3, 2.0, 200_000), rng.uniform(0.0, 1.0, 200_000)
    t_e, t_p = _best_pair(copy_e, copy_p, pair_e, pair_p)
    assert t_p == NO_PICTURE_CHECK
    assert np.mean(copy_e < t_e) == 1.0
    assert _false_rate(t_e, t_p, pair_e, pair_p) <= FALSE_RATE


def test_a_tighter_embedding_stage_buys_a_looser_picture_check() -> None:
    rng = np.random.default_rng(1)
    n = 400_000
    copy_e, copy_p = rng.uniform(0.0, 0.5, 1000), rng.uniform(0.0, 0.1, 1000)
    pair_e, pair_p = rng.uniform(0.1, 2.0, n), rng.uniform(0.0, 1.0, n)
    t_e, t_p = _best_pair(copy_e, copy_p, pair_e, pair_p)
    recall = np.mean((copy_e < t_e) & (copy_p < t_p))
    assert _false_rate(t_e, t_p, pair_e, pair_p) <= FALSE_RATE
    # No candidate of the old rule (embedding keeps 99 % of copies) does better.
    t_old = float(np.quantile(copy_e, 0.99))
    close = np.sort(pair_p[pair_e < t_old])
    t_p_old = float(close[int(FALSE_RATE * n)])
    assert recall >= np.mean((copy_e < t_old) & (copy_p < t_p_old))


def test_real_calibration_keeps_its_false_rate_and_reports_its_recall() -> None:
    paths = sorted(DATA.glob("*/*/*.*"))[::3][:120]
    images = [load_image(p) for p in paths]
    labels = [p.parent.name for p in paths]
    embedder = Embedder(default_model_path(), device="cpu")
    cal = calibrate_duplicates(embedder.embed_image, images, labels)
    assert cal.false_rate <= FALSE_RATE
    assert cal.n_copies == len(images)
    assert 0.3 <= cal.copy_recall <= 1.0  # 0.45 with the hybrid bundled model (no false pair allowed)
