"""Issue 6, item 4: the map's t-SNE (what the app uses) vs scikit-learn's TSNE defaults, N = 2k and 10k.

"app" is engine.map.projection.tsne_2d exactly as the map view calls it. "sklearn" is
sklearn.manifold.TSNE with its defaults (perplexity 30, PCA init, Barnes-Hut, 1000 iterations, all
cores). "before" is openTSNE with its own defaults, as the app ran it before this issue's change
(only where the change applies). Trustworthiness (sklearn.manifold.trustworthiness, 5 neighbours)
says whether the faster map is as faithful. All on the same overlapping-cluster vectors.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial

import numpy as np
from lookalike.engine.map.projection import FFT_ABOVE, _threads, tsne_2d
from lookalike.engine.metrics.sampling import MAX_MAP_POINTS

from bench.common import Report, timed, verdict
from bench.search.neighbours import clustered_unit_vectors

GOAL_SPEED = 3.0
GOAL_TRUST = 0.01
NOISE = 2.0  # clusters overlap: trustworthiness ~0.9, so a worse map shows


def app(x: np.ndarray) -> np.ndarray:
    """What the map view runs."""
    return tsne_2d(x, seed=0).points


def sklearn_defaults(x: np.ndarray) -> np.ndarray:
    """scikit-learn's TSNE as its documentation's defaults give it."""
    from sklearn.manifold import TSNE

    return np.asarray(TSNE(n_components=2, random_state=0).fit_transform(x))


def before(x: np.ndarray) -> np.ndarray:
    """openTSNE with its defaults (gradient method 'auto', default FFT grid): the app before."""
    import openTSNE

    tsne = openTSNE.TSNE(perplexity=30, initialization="pca", random_state=0, n_jobs=_threads(len(x)))
    return np.asarray(tsne.fit(np.asarray(x, dtype=np.float64)))


def trust(x: np.ndarray, points: np.ndarray) -> float:
    """scikit-learn's trustworthiness of a 2-D map (5 neighbours)."""
    from sklearn.manifold import trustworthiness

    return float(trustworthiness(x, points, n_neighbors=5))


def run(sizes: list[int], dim: int, with_before: bool) -> Report:
    """Measure, print and return the report."""
    rep = Report("tsne_map", "Map: t-SNE of the app (openTSNE, tuned) vs scikit-learn defaults")
    rows, goals = [], []
    for n in sizes:
        x = clustered_unit_vectors(n, dim, seed=1, noise=NOISE)
        methods: dict[str, Callable[[np.ndarray], np.ndarray]] = {"app": app, "sklearn": sklearn_defaults}
        if with_before and n >= FFT_ABOVE:
            methods["before"] = before
        t: dict[str, float] = {}
        tw: dict[str, float] = {}
        for name, fn in methods.items():
            t[name], points = timed(partial(fn, x))
            tw[name] = trust(x, points)
            print(f"  N={n} {name}: {t[name]:.1f} s, trustworthiness {tw[name]:.4f}", flush=True)
        speed = t["sklearn"] / t["app"]
        old = (
            f"{t['before']:.1f} s, trust {tw['before']:.4f} ({t['before'] / t['app']:.1f}×)"
            if "before" in t
            else "–"
        )
        rows.append(
            (
                f"{n:,}",
                f"{t['app']:.1f}",
                f"{t['sklearn']:.1f}",
                f"{speed:.1f}",
                f"{tw['app']:.4f}",
                f"{tw['sklearn']:.4f}",
                f"{tw['app'] - tw['sklearn']:+.4f}",
                old,
            )
        )
        goals.append((n, speed, tw["app"] - tw["sklearn"]))
    header = ("N", "app s", "sklearn s", "speed-up", "trust app", "trust sklearn", "Δ trust", "app before")
    rep.table(header, rows)
    _conclude(rep, dim, goals)
    return rep


def _conclude(rep: Report, dim: int, goals: list[tuple[int, float, float]]) -> None:
    rep.add(
        f"Data: unit vectors in overlapping clusters of ~20 (dim {dim}, noise {NOISE}), seed 1. "
        '"app before": openTSNE\'s own defaults, time and trustworthiness (and how much slower than now).',
        "",
    )
    for n, speed, delta in goals:
        if n >= 10_000:
            ok = speed >= GOAL_SPEED and delta >= -GOAL_TRUST
            rep.add(
                f"- N = {n:,}: {speed:.1f}× faster, Δ trustworthiness {delta:+.4f} — goal ≥ "
                f"{GOAL_SPEED:.0f}× and no more than {GOAL_TRUST} lower: {verdict(ok)}"
            )
    rep.add(
        f"- Above {MAX_MAP_POINTS:,} images the app maps a seeded random sample of {MAX_MAP_POINTS:,} "
        "(engine.metrics.sampling.MAX_MAP_POINTS) and says so on the map, as TensorBoard's projector does; "
        "neighbours, metrics and the threshold still use every image.",
        "",
    )


def main(argv: list[str] | None = None) -> None:
    """Command line: sizes by flag, defaults as in the README."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 10_000])
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--no-before", action="store_true", help="skip openTSNE's defaults (saves ~1.5 min)")
    args = parser.parse_args(argv)
    run(args.sizes, args.dim, not args.no_before).save()


if __name__ == "__main__":
    main()
