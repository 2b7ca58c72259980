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
from lookalike.engine.thresholds.table import DUPLICATE_PIXELS_KEY

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
    assert 0.3 <= cal.copy_recall <= 1.0


def test_the_pixel_gate_keeps_every_copy_so_the_other_thresholds_stay() -> None:
    """Calibrated with the bundled model's pixels part, the gate lies past every copy: the copies
    found are the same as without it, no more different pictures pass, and the manifest gets it."""
    paths = sorted(DATA.glob("*/*/*.*"))[1::3][:90]
    images = [load_image(p) for p in paths]
    labels = [p.parent.name for p in paths]
    embedder = Embedder(default_model_path(), device="cpu")
    pixels = embedder.manifest.parts["pixels"]
    gated = calibrate_duplicates(embedder.embed_image, images, labels, pixels=pixels)
    plain = calibrate_duplicates(embedder.embed_image, images, labels)
    assert plain.pixels is None
    assert DUPLICATE_PIXELS_KEY not in plain.thresholds()
    assert gated.pixels is not None
    assert gated.thresholds()[DUPLICATE_PIXELS_KEY] == gated.pixels
    assert 0.0 < gated.pixels < 2.0
    assert gated.copy_recall == plain.copy_recall
    assert gated.false_rate <= plain.false_rate
    assert (gated.embedding, gated.picture) == (plain.embedding, plain.picture)


def test_every_kind_keeps_the_false_rate_not_only_all_kinds_pooled() -> None:
    """A folder holds one kind: a kind whose different pictures look alike (few pairs, all close)
    must hold the picture threshold down even when the easy kind's many pairs would dilute them."""
    rng = np.random.default_rng(2)
    copy_e, copy_p = rng.uniform(0.0, 0.3, 1000), rng.uniform(0.0, 0.5, 1000)
    easy_e, easy_p = rng.uniform(0.0, 2.0, 400_000), rng.uniform(0.6, 2.0, 400_000)
    hard_e, hard_p = rng.uniform(0.0, 2.0, 20_000), rng.uniform(0.2, 2.0, 20_000)
    pair_e, pair_p = np.r_[easy_e, hard_e], np.r_[easy_p, hard_p]
    kind = np.r_[np.zeros(len(easy_e), int), np.ones(len(hard_e), int)]
    pooled = _best_pair(copy_e, copy_p, pair_e, pair_p)
    per_kind = _best_pair(copy_e, copy_p, pair_e, pair_p, kind)
    hard = kind == 1
    assert _false_rate(*pooled, pair_e[hard], pair_p[hard]) > FALSE_RATE  # pooling hides the hard kind
    assert _false_rate(*per_kind, pair_e[hard], pair_p[hard]) <= FALSE_RATE
    assert _false_rate(*per_kind, pair_e[~hard], pair_p[~hard]) <= FALSE_RATE


def test_the_calibration_counts_pairs_within_a_kind_only() -> None:
    """Kinds are the label's part before "/"; pairs across kinds are easy and would dilute the rate."""
    paths = sorted(DATA.glob("*/*/*.*"))
    images = [load_image(p) for p in paths[:60]] + [load_image(p) for p in paths[-6:]]
    labels = [f"big/{p.parent.name}" for p in paths[:60]] + [f"small/{p.parent.name}" for p in paths[-6:]]
    embedder = Embedder(default_model_path(), device="cpu")
    cal = calibrate_duplicates(embedder.embed_image, images, labels)
    assert cal.n_copies == len(images)  # both kinds fit under the cap, so every image is used
    assert cal.n_distinct_pairs <= 60 * 59 // 2 + 6 * 5 // 2  # pairs within a kind only
    assert cal.false_rate <= FALSE_RATE
