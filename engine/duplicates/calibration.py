"""The duplicate thresholds: calibrated on planted near-copies, so "duplicate" means "same picture".

The match threshold answers "same class", and at it a folder's different pictures of one class
group together (a user who trusts the proposal would trash them). Here each calibration image gets
a near-copy (engine.duplicates.near_copies); a pair is a duplicate when its embedding distance is
below `embedding` and its picture distance below `picture`. For each candidate embedding threshold
(a quantile of the copies' distances, COPY_QUANTILES) the picture threshold is the loosest whose
false-duplicate rate over pairs of different pictures stays at or below FALSE_RATE; the pair that
keeps the most copies wins (ties: the looser embedding threshold). Both, with the measured copy
recall and false rates, go into the manifest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from lookalike.engine.duplicates.near_copies import near_copy
from lookalike.engine.duplicates.picture_check import picture_descriptor
from lookalike.engine.search.neighbours import pairwise_distances
from lookalike.engine.thresholds.table import DUPLICATE_KEY, DUPLICATE_PICTURE_KEY
from PIL import Image

# Embedding thresholds tried, as shares of the calibration copies they keep: a tighter embedding
# stage lets the picture check be looser at the same false rate (it paid off with the hybrid model,
# whose embedding holds a pixel part of its own).
COPY_QUANTILES = (*np.linspace(0.5, 0.98, 25).tolist(), 0.99, 0.995, 1.0)
NO_PICTURE_CHECK = 2.0  # picture descriptors are unit vectors: every pair is closer than this
FALSE_RATE = 1e-4  # pairs of different pictures accepted: 80 originals -> ~0.3 false pairs
MAX_IMAGES = 3000  # all pairs of this many fit in ~70 MB of float64
IDENTICAL = 1e-3  # both distances below this: the same picture filed twice, not a false duplicate


@dataclass(frozen=True)
class DuplicateCalibration:
    """The two duplicate thresholds and what they were measured to do on held-out pictures."""

    embedding: float
    picture: float
    copy_recall: float
    false_rate: float
    same_class_false_rate: float
    n_copies: int
    n_distinct_pairs: int

    def thresholds(self) -> dict[str, float]:
        """The manifest's threshold entries."""
        return {DUPLICATE_KEY: self.embedding, DUPLICATE_PICTURE_KEY: self.picture}

    def figures(self) -> dict[str, Any]:
        """The manifest's metrics entry (what the thresholds were measured to do)."""
        return asdict(self)


def calibrate_duplicates(
    embed: Callable[[Image.Image], np.ndarray],
    images: Sequence[Image.Image],
    labels: Sequence[str],
    seed: int = 0,
) -> DuplicateCalibration:
    """Plant one near-copy per image and choose both thresholds (labels: class or picture group)."""
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.permutation(len(images))[:MAX_IMAGES])
    originals = [images[k] for k in keep]
    lab = np.asarray([labels[k] for k in keep])
    copies = [near_copy(img, rng) for img in originals]
    emb = np.stack([embed(i) for i in originals]).astype(np.float64)
    emb_copy = np.stack([embed(i) for i in copies]).astype(np.float64)
    pic = np.stack([picture_descriptor(i) for i in originals]).astype(np.float64)
    pic_copy = np.stack([picture_descriptor(i) for i in copies]).astype(np.float64)
    copy_e = np.linalg.norm(emb - emb_copy, axis=1)
    copy_p = np.linalg.norm(pic - pic_copy, axis=1)
    iu = np.triu_indices(len(originals), 1)
    pair_e = pairwise_distances(emb)[iu]
    pair_p = pairwise_distances(pic)[iu]
    same = lab[iu[0]] == lab[iu[1]]
    distinct = (pair_e > IDENTICAL) | (pair_p > IDENTICAL)  # a set may hold one picture twice
    pair_e, pair_p, same = pair_e[distinct], pair_p[distinct], same[distinct]
    t_e, t_p = _best_pair(copy_e, copy_p, pair_e, pair_p)
    accepted = (pair_e < t_e) & (pair_p < t_p)
    return DuplicateCalibration(
        embedding=t_e,
        picture=t_p,
        copy_recall=float(np.mean((copy_e < t_e) & (copy_p < t_p))),
        false_rate=float(accepted.mean()) if len(accepted) else 0.0,
        same_class_false_rate=float(accepted[same].mean()) if same.any() else 0.0,
        n_copies=len(copies),
        n_distinct_pairs=len(pair_e),
    )


def _best_pair(
    copy_e: np.ndarray, copy_p: np.ndarray, pair_e: np.ndarray, pair_p: np.ndarray
) -> tuple[float, float]:
    """(embedding, picture) thresholds keeping the most copies within FALSE_RATE."""
    allowed = int(np.floor(FALSE_RATE * len(pair_e)))
    t_alone = _kth_smallest(pair_e, allowed) if allowed < len(pair_e) else float(copy_e.max()) + 1e-9
    best = (float(np.mean(copy_e < t_alone)), t_alone, NO_PICTURE_CHECK)  # the embedding alone
    for q in COPY_QUANTILES:
        t_e = float(np.quantile(copy_e, q)) * (1.0 + 1e-9) if q == 1.0 else float(np.quantile(copy_e, q))
        t_p = _loosest_picture_threshold(pair_e < t_e, pair_p, len(pair_e))
        recall = float(np.mean((copy_e < t_e) & (copy_p < t_p)))
        if recall >= best[0]:
            best = (recall, t_e, t_p)
    return best[1], best[2]


def _loosest_picture_threshold(embedding_close: np.ndarray, pair_p: np.ndarray, n_pairs: int) -> float:
    """The largest picture threshold that accepts at most FALSE_RATE of all different-picture pairs."""
    allowed = int(np.floor(FALSE_RATE * n_pairs))
    candidates = pair_p[embedding_close]
    if allowed >= len(candidates):
        return NO_PICTURE_CHECK
    return _kth_smallest(candidates, allowed)  # strictly below it: `allowed` pairs pass


def _kth_smallest(values: np.ndarray, k: int) -> float:
    """The k-th smallest value (0-based), in linear time: the calibration asks ~30 times."""
    return float(np.partition(values, k)[k])
