"""Issue 6, item 2: re-scanning a folder that is unchanged, and one with 1 % of its files touched.

One run: a cold scan into a fresh cache, then unchanged re-scans, then re-scans after touching
(new mtime, same bytes) 1 % of the files; each timed as the app calls it (embed_folder).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from lookalike.engine.folder.embedding import FolderEmbeddings, embed_folder
from lookalike.engine.folder.scan import scan_folder
from lookalike.engine.model.embedder import Embedder

from bench.common import Report, timed, verdict
from bench.folder.bench_model import bench_model
from bench.folder.photo_folder import bench_dir, ensure_photo_folder

GOAL = 0.03


def touch_fraction(folder: Path, fraction: float, round_no: int) -> int:
    """Give a spread-out fraction of the files a new mtime (content unchanged); returns how many."""
    entries, _ = scan_folder(folder)
    step = max(1, round(1 / fraction))
    now = time.time_ns() + round_no * 1_000_000
    picked = entries[round_no % step :: step]
    for e in picked:
        os.utime(folder / e.rel_path, ns=(now, now))
    return len(picked)


def run(images: int, repeats: int) -> Report:
    """Measure, print and return the report."""
    folder = ensure_photo_folder(images)
    embedder = Embedder(bench_model(bench_dir() / "models").onnx_path, device="cpu")
    rep = Report("rescan", "Re-scan: unchanged and 1 % touched, vs the first scan")
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-cache-") as tmp:
        cache = Path(tmp)

        def scan() -> FolderEmbeddings:
            return embed_folder(folder, embedder, cache_dir=cache)

        t_first, first = timed(scan)
        same = [timed(scan) for _ in range(repeats)]
        touched: list[tuple[float, FolderEmbeddings]] = []
        n_touched = 0
        for r in range(repeats):
            n_touched = touch_fraction(folder, 0.01, r)
            touched.append(timed(scan))
    t_same = statistics.median(t for t, _ in same)
    t_touch = statistics.median(t for t, _ in touched)
    rep.table(
        ("scan", "seconds (median)", "embedded", "from cache", "÷ first scan"),
        [
            ("first (cold cache)", f"{t_first:.2f}", str(first.n_embedded), str(first.n_cached), "1.000"),
            _row("unchanged", t_same, same[-1][1], t_first),
            _row(f"{n_touched} files touched (1 %)", t_touch, touched[-1][1], t_first),
        ],
    )
    rep.add(
        f"{len(first)} images; {repeats} repeats of each re-scan; the cache is an .npz in a temporary "
        "cache directory, read and (only when something changed) rewritten atomically.",
        "",
        f"- unchanged re-scan / first scan: {t_same / t_first:.3f} — goal ≤ {GOAL}: "
        f"{verdict(t_same / t_first <= GOAL)}",
        f"- 1 % touched re-scan / first scan: {t_touch / t_first:.3f} (no goal; about 1 % of the "
        "decoding plus the fixed cost)",
        "",
    )
    return rep


def _row(name: str, t: float, result: FolderEmbeddings, t_first: float) -> tuple[str, ...]:
    return (name, f"{t:.3f}", str(result.n_embedded), str(result.n_cached), f"{t / t_first:.3f}")


def main(argv: list[str] | None = None) -> None:
    """Command line: sizes by flag, defaults as in the README."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=2000, help="photo-sized JPEGs (default 2000)")
    parser.add_argument("--repeats", type=int, default=3, help="re-scans of each kind (default 3)")
    args = parser.parse_args(argv)
    run(args.images, args.repeats).save()


if __name__ == "__main__":
    main()
