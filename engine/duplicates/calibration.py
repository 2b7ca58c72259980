"""The duplicate thresholds: calibrated on planted near-copies, so "duplicate" means "same picture".

The match threshold answers "same class", and at it a folder's different pictures of one class
group together (a user who trusts the proposal would trash them). Here each calibration image gets
a near-copy (engine.duplicates.near_copies); a pair is a duplicate when its embedding distance is
below `embedding` and its picture distance below `picture`. For each candidate embedding threshold
(a quantile of the copies' distances, COPY_QUANTILES) the picture threshold is the loosest whose
false-duplicate rate over pairs of different pictures stays at or below FALSE_RATE *in every kind*
(the part of a label before "/": a user's folder holds one kind, so its hard pairs are pairs of
that kind, and a rate pooled over easy cross-kind pairs would hide them); the pair that keeps the
most copies wins (ties: the looser embedding threshold). Both, with the measured copy
recall and false rates, go into the manifest.

Where the embedding holds the picture itself (a `pixels` part, engine.duplicates.pixel_gate), a
third threshold on that part is set first: just past the farthest calibration copy, PIXEL_MARGIN
looser. It finds every calibration copy, so the other two are chosen as before, over the pairs of
different pictures it lets through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from lookalike.engine.duplicates.near_copies import near_copy
from lookalike.engine.duplicates.picture_check import CAP, thumbnail
from lookalike.engine.duplicates.picture_pairs import pair_picture_distances
from lookalike.engine.duplicates.pixel_gate import PixelGate
from lookalike.engine.metrics.sampling import MAX_DUPLICATE_CALIBRATION_IMAGES
from lookalike.engine.search.distances import index_distances, triangle_distances
from lookalike.engine.thresholds.table import DUPLICATE_KEY, DUPLICATE_PICTURE_KEY, DUPLICATE_PIXELS_KEY
from PIL import Image

# Embedding thresholds tried, as shares of the calibration copies they keep: a tighter embedding
# stage lets the picture check be looser at the same false rate (it paid off with the hybrid model,
# whose embedding holds a pixel part of its own).
COPY_QUANTILES = (*np.linspace(0.5, 0.98, 25).tolist(), 0.99, 0.995, 1.0)
NO_PICTURE_CHECK = 2.0  # picture distances stop short of it (CAP): every pair passes
# Share of a kind's pairs of different pictures that may pass. The calibration's pairs are harder
# than a typical folder's (many pictures per class): 5e-4 pulled no original into a group on any
# shared set (bench/results/duplicate_truth.md); 1e-3 pulled 4 of 80 fashion-mnist originals.
FALSE_RATE = 5e-4
# Picture distance below this: one picture filed twice (flags of two territories share one), not a
# false duplicate; near-copies measure 0.1-0.4, different pictures 0.35 and up.
SAME_PICTURE = 0.02
# How much looser than the farthest calibration copy the pixel gate is (a share of that distance):
# a folder of another kind may hold copies a little farther apart. Measured on the bundled model's
# calibration: copies reach 0.56 (chess pieces; photos 0.22); at 0.62 the gate lets 6.7 % of
# same-kind pairs of different pictures through (the embedding threshold alone: 15.9 %).
PIXEL_MARGIN = 0.1


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
    pixels: float | None = None  # the pixel gate; None: the embedding holds no pixels part

    def thresholds(self) -> dict[str, float]:
        """The manifest's threshold entries."""
        gate = {} if self.pixels is None else {DUPLICATE_PIXELS_KEY: self.pixels}
        return {DUPLICATE_KEY: self.embedding, DUPLICATE_PICTURE_KEY: self.picture, **gate}

    def figures(self) -> dict[str, Any]:
        """The manifest's metrics entry (what the thresholds were measured to do)."""
        return asdict(self)


def calibrate_duplicates(
    embed: Callable[[Image.Image], np.ndarray],
    images: Sequence[Image.Image],
    labels: Sequence[str],
    seed: int = 0,
    pixels: tuple[int, int] | None = None,
) -> DuplicateCalibration:
    """Plant one near-copy per image and choose the thresholds (labels: class or picture group;
    `pixels`: the embedding's pixels part [start, stop), which gets the pixel gate)."""
    rng = np.random.default_rng(seed)
    every_kind = np.asarray([_kind(label) for label in labels])
    kinds = np.unique(every_kind)
    # each kind is judged on its own pairs: same weight
    per_kind = MAX_DUPLICATE_CALIBRATION_IMAGES // max(1, len(kinds))
    picks = [rng.permutation(np.flatnonzero(every_kind == k))[:per_kind] for k in kinds]
    keep = np.sort(np.concatenate(picks))
    originals = [images[k] for k in keep]
    lab = np.asarray([labels[k] for k in keep])
    copies = [near_copy(img, rng) for img in originals]
    emb = np.stack([embed(i) for i in originals]).astype(np.float64)
    emb_copy = np.stack([embed(i) for i in copies]).astype(np.float64)
    n = len(originals)
    thumbs = [thumbnail(i) for i in originals + copies]
    copy_e = index_distances(emb, np.arange(n), np.arange(n), emb_copy)  # each image to its copy
    copy_p = pair_picture_distances(thumbs, np.arange(n), n + np.arange(n))
    kind = every_kind[keep]
    iu = np.triu_indices(n, 1)
    within = kind[iu[0]] == kind[iu[1]]  # a folder holds one kind: its hard pairs are its own
    iu = (iu[0][within], iu[1][within])
    pair_e = triangle_distances(emb)[within]  # counted, not shown: blocked, in float64
    gate = None if pixels is None else _pixel_gate(emb, emb_copy, pixels)
    if gate is not None:
        pair_e = np.where(gate.passes(emb, iu[0], iu[1]), pair_e, np.inf)  # stopped at the gate
    pair_p = np.full(len(pair_e), CAP)  # far by embedding: only 'no picture check' may accept them
    near = np.flatnonzero(pair_e < _past(copy_e.max()))
    pair_p[near] = pair_picture_distances(thumbs, iu[0][near], iu[1][near])
    same = lab[iu[0]] == lab[iu[1]]
    distinct = pair_p > SAME_PICTURE  # a set may hold one picture twice (under two classes)
    pair_e, pair_p, same = pair_e[distinct], pair_p[distinct], same[distinct]
    pair_kind = np.unique(kind[iu[0][distinct]], return_inverse=True)[1]
    t_e, t_p = _best_pair(copy_e, copy_p, pair_e, pair_p, pair_kind)
    accepted = (pair_e < t_e) & (pair_p < t_p)
    return DuplicateCalibration(
        embedding=t_e,
        picture=t_p,
        copy_recall=float(np.mean((copy_e < t_e) & (copy_p < t_p))),
        false_rate=max((float(accepted[pair_kind == k].mean()) for k in np.unique(pair_kind)), default=0.0),
        same_class_false_rate=float(accepted[same].mean()) if same.any() else 0.0,
        n_copies=len(copies),
        n_distinct_pairs=len(pair_e),
        pixels=None if gate is None else gate.threshold,
    )


def _pixel_gate(emb: np.ndarray, emb_copy: np.ndarray, pixels: tuple[int, int]) -> PixelGate:
    """The gate on the pixels part that every calibration copy passes, PIXEL_MARGIN to spare."""
    n = len(emb)
    gate = PixelGate(pixels[0], pixels[1], threshold=0.0)
    farthest = float(gate.distances(np.concatenate([emb, emb_copy]), np.arange(n), n + np.arange(n)).max())
    return replace(gate, threshold=_past(farthest) * (1.0 + PIXEL_MARGIN))


def _past(distance: float) -> float:
    """A threshold just above `distance`: thresholds accept strictly below, so this keeps it."""
    return float(distance) * (1.0 + 1e-9) + 1e-12


def _kind(label: str) -> str:
    """The kind of picture a label names: the part before "/" (a set, "photo"), else one kind."""
    return str(label).split("/")[0] if "/" in str(label) else ""


def _best_pair(
    copy_e: np.ndarray,
    copy_p: np.ndarray,
    pair_e: np.ndarray,
    pair_p: np.ndarray,
    pair_kind: np.ndarray | None = None,
) -> tuple[float, float]:
    """(embedding, picture) thresholds keeping the most copies within FALSE_RATE in every kind."""
    kinds = np.zeros(len(pair_e), int) if pair_kind is None else pair_kind
    groups = [np.flatnonzero(kinds == k) for k in np.unique(kinds)]
    everything = _past(copy_e.max())
    t_alone = min((_loosest_threshold(pair_e[g], everything) for g in groups), default=everything)
    best = (float(np.mean(copy_e < t_alone)), t_alone, NO_PICTURE_CHECK)  # the embedding alone
    for q in COPY_QUANTILES:
        t_e = everything if q == 1.0 else float(np.quantile(copy_e, q))
        t_p = min(
            (_loosest_threshold(pair_p[g][pair_e[g] < t_e], NO_PICTURE_CHECK, len(g)) for g in groups),
            default=NO_PICTURE_CHECK,
        )
        recall = float(np.mean((copy_e < t_e) & (copy_p < t_p)))
        if recall >= best[0]:
            best = (recall, t_e, t_p)
    return best[1], best[2]


def _loosest_threshold(values: np.ndarray, unbounded: float, n_pairs: int | None = None) -> float:
    """The largest threshold that `values` pass at most FALSE_RATE × n_pairs times (strictly below
    it); `unbounded` when that allows all of them."""
    allowed = int(np.floor(FALSE_RATE * (len(values) if n_pairs is None else n_pairs)))
    if allowed >= len(values):
        return unbounded
    return _kth_smallest(values, allowed)


def _kth_smallest(values: np.ndarray, k: int) -> float:
    """The k-th smallest value (0-based), in linear time: the calibration asks ~30 times."""
    return float(np.partition(values, k)[k])
