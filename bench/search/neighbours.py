"""Issue 6, item 3: k = 10 neighbours of every point at N = 10k and 100k (dim 128), time and peak memory.

engine.search.neighbours.knn (what the app uses) against scikit-learn NearestNeighbors(algorithm="brute").
Each measurement runs in a fresh process so peak memory (VmHWM, reset just before the call) is
that call's alone; the two run alternately, and their answers are compared.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import Report, verdict

IMPLS = ("lookalike", "sklearn")
GOAL_MB = 1024.0
LARGE = 20_000  # above this, each measurement takes minutes on 2 cores: fewer rounds


def clustered_unit_vectors(n: int, dim: int, seed: int = 0, noise: float = 0.35) -> np.ndarray:
    """Embedding-like data: unit vectors around n/20 centres (classes), float32."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 20), dim)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)] + noise * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _proc_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def worker(impl: str, n: int, dim: int, k: int, out: Path) -> None:
    """One measurement in this process: prints JSON with seconds and peak extra memory."""
    x = clustered_unit_vectors(n, dim)
    if impl == "sklearn":
        from sklearn.neighbors import NearestNeighbors

        def call() -> np.ndarray:
            nn = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(x)
            return np.asarray(nn.kneighbors(x, return_distance=False))[:, 1:]
    else:
        from lookalike.engine.search.neighbours import knn

        def call() -> np.ndarray:
            return knn(x, k)[0]

    Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS mark to the current RSS
    base = _proc_kib("VmRSS")
    start = time.perf_counter()
    idx = call()
    seconds = time.perf_counter() - start
    peak = _proc_kib("VmHWM")
    np.save(out, idx.astype(np.int32))
    print(json.dumps({"seconds": seconds, "peak_extra_mb": (peak - base) / 1024, "peak_mb": peak / 1024}))


def _measure(impl: str, n: int, dim: int, k: int, out: Path) -> dict[str, float]:
    cmd = [sys.executable, "-m", "bench.search.neighbours", "--worker", impl, "--n", str(n)]
    cmd += ["--dim", str(dim), "-k", str(k), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Mean overlap of the two neighbour sets per point (ties may order differently)."""
    same = sum(len(set(ra) & set(rb)) for ra, rb in zip(a.tolist(), b.tolist(), strict=True))
    return same / a.size


def run(sizes: list[int], dim: int, k: int, rounds: int, rounds_large: int) -> Report:
    """Measure, print and return the report."""
    rep = Report("neighbours", f"Neighbours: k = {k} for every point, dim {dim}")
    rows, verdicts = [], []
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-knn-") as tmp:
        for n in sizes:
            res: dict[str, list[dict[str, float]]] = {i: [] for i in IMPLS}
            for r in range(rounds if n <= LARGE else rounds_large):
                for impl in IMPLS if r % 2 == 0 else IMPLS[::-1]:
                    res[impl].append(_measure(impl, n, dim, k, Path(tmp) / f"{impl}.npy"))
                    print(f"  N={n} round {r + 1} {impl}: {res[impl][-1]}", flush=True)
            agree = _agreement(np.load(Path(tmp) / "lookalike.npy"), np.load(Path(tmp) / "sklearn.npy"))
            t = {i: statistics.median(m["seconds"] for m in res[i]) for i in IMPLS}
            mem = {i: max(m["peak_extra_mb"] for m in res[i]) for i in IMPLS}
            speed = statistics.median(
                s["seconds"] / o["seconds"] for o, s in zip(res["lookalike"], res["sklearn"], strict=True)
            )
            rows.append(
                (
                    f"{n:,}",
                    *(f"{t[i]:.2f}" for i in IMPLS),
                    f"{speed:.2f}",
                    *(f"{mem[i]:.0f}" for i in IMPLS),
                    f"{agree:.4f}",
                )
            )
            verdicts.append((n, speed, mem["lookalike"]))
    header = ("N", "lookalike s", "sklearn brute s", "speed ratio", "lookalike MB", "sklearn MB", "same nbrs")
    rep.table(header, rows)
    _conclude(rep, verdicts)
    return rep


def _conclude(rep: Report, verdicts: list[tuple[int, float, float]]) -> None:
    rep.add(
        "Speed ratio: median over rounds of sklearn time / lookalike time (> 1: lookalike faster). "
        "MB: peak resident memory above the process's state just before the call (data excluded). "
        "Same nbrs: mean overlap of the two 10-neighbour sets (differences are exact-distance ties).",
        "",
    )
    for n, speed, mb in verdicts:
        ok = speed >= 1.0 and (n < 100_000 or mb < GOAL_MB)
        rep.add(
            f"- N = {n:,}: speed {speed:.2f}× sklearn, peak {mb:.0f} MB — goal ≥ 1× and < 1 GB: {verdict(ok)}"
        )
    rep.add("")


def main(argv: list[str] | None = None) -> None:
    """Command line: sizes by flag, defaults as in the README."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="rounds per size up to 20k (default 2)")
    parser.add_argument("--rounds-large", type=int, default=1, help="rounds per larger size (default 1)")
    parser.add_argument("--worker", choices=IMPLS, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.n, args.dim, args.k, args.out)
    else:
        run(args.sizes, args.dim, args.k, args.rounds, args.rounds_large).save()


if __name__ == "__main__":
    main()
