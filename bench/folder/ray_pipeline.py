"""Issue 12: the Ray index pipeline against the app's single-process folder pipeline, same cores.

Same images (a shared dataset, read in place), same model, fresh caches: embed_folder (decode
threads + one ORT session, what the app runs) against `lookalike index` on a local Ray with 1 and
2 embedding actors. Ray's start-up is timed apart (paid once per session, not per image); the
ratio says what Ray's scheduling and object transfers cost per image on one small machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from lookalike.engine.folder.cpu_split import cpu_cores
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.index.build import IndexSettings, build_index
from lookalike.engine.index.ray_embedding import connect
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder

from bench.common import Report
from bench.search.index_vectors import DATASETS


def main() -> None:
    """Time the three pipelines on one dataset and save bench/results/ray_pipeline.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="flags")
    args = parser.parse_args()
    source = DATASETS / args.dataset
    report = Report("ray_pipeline", "Ray index pipeline vs the single-process folder pipeline")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        single = embed_folder(source, Embedder(default_model_path()), cache_dir=Path(tmp) / "cache")
        t_single = time.perf_counter() - t0
        n = len(single) + len(single.skipped)
        t0 = time.perf_counter()
        connect("local", cpu_cores())
        t_start = time.perf_counter() - t0
        rows: list[tuple[str, ...]] = [
            ("single process (embed_folder)", f"{t_single:.1f}", f"{n / t_single:.0f}", "1.00")
        ]
        for workers in (1, 2):
            out = Path(tmp) / f"ix{workers}"
            t0 = time.perf_counter()
            build_index(IndexSettings(source, out, default_model_path(), "local", workers))
            t = time.perf_counter() - t0
            rows.append((f"Ray, {workers} actor(s)", f"{t:.1f}", f"{n / t:.0f}", f"{t / t_single:.2f}"))
    report.add(
        f"{n} images of shared/datasets/{args.dataset}, bundled model, {cpu_cores()} cores; "
        f"Ray start-up (ray.init, local, once): {t_start:.1f} s, not in the times below.",
        "",
    )
    report.table(("pipeline", "wall s", "images/s", "time vs single process"), rows)
    report.save()


if __name__ == "__main__":
    main()
