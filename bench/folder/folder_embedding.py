"""Issue 6, item 1: folder embedding vs the decode-only limit and vs the same network in torch eager.

All three run on the same folder in one process, interleaved round by round, so machine noise hits
them alike; the ratios are what to read. "Pipeline" is engine.folder.embedding.embed_folder exactly
as the app and CLI call it (cold cache). "Decode-only" is the same loader and resize in the same
number of threads with no model: the limit. "Torch eager" is the same embed_folder code path with
the ONNX Runtime call swapped for the same network in torch, so only the inference engine differs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.folder.cpu_split import inference_threads
from lookalike.engine.folder.embedding import decode_workers, embed_folder
from lookalike.engine.folder.scan import scan_folder
from lookalike.engine.images.loading import load_prepared
from lookalike.engine.model.embedder import Embedder

from bench.common import Report, timed, verdict
from bench.folder.bench_model import BenchModel, bench_model, torch_embed
from bench.folder.photo_folder import bench_dir, ensure_photo_folder, folder_stats

GOAL_LIMIT = 0.8
GOAL_BOTH_LIMITS = 0.85  # issue 14: pipeline vs the slower of decoding alone and inference alone
GOAL_TORCH = 1.5


class TorchTwin:
    """Quacks like Embedder for embed_folder, but runs the torch network: same feeding, other engine."""

    def __init__(self, embedder: Embedder, net: Any) -> None:
        self.manifest, self.dim, self.net = embedder.manifest, embedder.dim, net
        self.sha256 = "torch-" + embedder.sha256
        self.provider = "torch eager"

    def prepare(self, img: Any) -> np.ndarray:
        """Same resize as the engine."""
        from lookalike.engine.images.preprocessing import fit_to_input

        return fit_to_input(img, self.manifest.preprocessing)

    def embed_batch(self, batch: np.ndarray) -> np.ndarray:
        """Same normalisation, torch forward."""
        return torch_embed(self.net, batch, self.manifest.preprocessing)

    def embed_rows(self, batch: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """What embed_folder calls since bad rows are skipped one by one (every row is good here)."""
        return self.embed_batch(batch), [""] * len(batch)


def prepare_file(path: Path, embedder: Embedder) -> np.ndarray:
    """One file to the model's input exactly as embed_folder's decode workers do it (load_prepared)."""
    return load_prepared(path, embedder.prepare, min_side=embedder.manifest.preprocessing.input_size)


def decode_only(folder: Path, embedder: Embedder, workers: int | None = None) -> int:
    """Load + resize every image with the pipeline's loader and worker count (or `workers`), no model."""
    entries, _ = scan_folder(folder)
    with ThreadPoolExecutor(max_workers=workers or decode_workers()) as pool:
        paths = [folder / e.rel_path for e in entries]
        return sum(1 for _ in pool.map(lambda p: prepare_file(p, embedder), paths))


def prepared_batches(folder: Path, embedder: Embedder) -> list[np.ndarray]:
    """The folder decoded and resized once (untimed), in the pipeline's batches of 64."""
    entries, _ = scan_folder(folder)
    arrays = [prepare_file(folder / e.rel_path, embedder) for e in entries]
    return [np.stack(arrays[i : i + 64]) for i in range(0, len(arrays), 64)]


def inference_only(embedder: Embedder, batches: list[np.ndarray]) -> int:
    """The model alone on the prepared folder, batch by batch as the pipeline feeds it: the other limit."""
    return sum(len(embedder.embed_batch(b)) for b in batches)


def pipeline(folder: Path, embedder: Any) -> int:
    """embed_folder on a cold cache (a fresh cache directory)."""
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-cache-") as cache:
        result = embed_folder(folder, embedder, cache_dir=Path(cache))
    if result.skipped:
        raise SystemExit(f"{len(result.skipped)} files were skipped: {result.skipped[0]}")
    return len(result)


def model_only(embedder: Embedder, net: Any, batch: np.ndarray, repeats: int) -> tuple[float, float]:
    """Inference alone on one prepared batch: (ORT images/s, torch images/s), interleaved."""
    prep = embedder.manifest.preprocessing
    embedder.embed_batch(batch), torch_embed(net, batch, prep)
    ort_s = torch_s = 0.0
    for _ in range(repeats):
        ort_s += timed(lambda: embedder.embed_batch(batch))[0]
        torch_s += timed(lambda: torch_embed(net, batch, prep))[0]
    n = len(batch) * repeats
    return n / ort_s, n / torch_s


def ort_defaults_session(embedder: Embedder) -> Any:
    """A session with ONNX Runtime's default threading (all cores, spinning): the setting before the fix."""
    from lookalike.engine.model.onnx_runtime import import_onnxruntime

    ort = import_onnxruntime()

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(embedder.path), options, providers=["CPUExecutionProvider"])


def measure(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def run(images: int, rounds: int, models: list[Path]) -> Report:
    """Measure, print and return the report."""
    folder = ensure_photo_folder(images)
    n, mp, mb = folder_stats(folder)
    bm = bench_model(bench_dir() / "models")
    embedder = Embedder(bm.onnx_path, device="cpu")
    before = Embedder(bm.onnx_path, device="cpu")
    before.session = ort_defaults_session(before)
    rep = Report("folder_embedding", "Folder embedding: pipeline vs decode-only and inference-only limits")
    _describe(rep, n, mp, mb, bm, embedder)
    batches = prepared_batches(folder, embedder)
    variants: dict[str, Callable[[], object]] = {
        "decode-only (limit)": lambda: decode_only(folder, embedder),
        "inference-only (limit)": lambda: inference_only(embedder, batches),
        "pipeline (embed_folder)": lambda: pipeline(folder, embedder),
        "torch eager (same feeding)": lambda: pipeline(folder, TorchTwin(embedder, bm.torch_model)),
        "pipeline, ORT default threads (before)": lambda: pipeline(folder, before),
    }
    for path in models:
        other = Embedder(path, device="cpu")
        other_batches = prepared_batches(folder, other)
        variants[f"{path.name}: inference-only"] = partial(inference_only, other, other_batches)
        variants[f"{path.name}: pipeline"] = partial(pipeline, folder, other)
    walls: dict[str, list[float]] = {k: [] for k in variants}
    cpus: dict[str, list[float]] = {k: [] for k in variants}
    for r in range(rounds):
        order = list(variants) if r % 2 == 0 else list(reversed(variants))
        for name in order:
            wall, cpu = measure(variants[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
            print(f"  round {r + 1} {name}: {n / wall:.0f} img/s, {cpu / n * 1e3:.2f} CPU ms/img", flush=True)
    _table(rep, n, walls, cpus)
    _conclude(rep, embedder, bm, walls, cpus)
    return rep


def _table(rep: Report, n: int, walls: dict[str, list[float]], cpus: dict[str, list[float]]) -> None:
    limit = "decode-only (limit)"
    rows = []
    for name in walls:
        ratios = [lim / w for lim, w in zip(walls[limit], walls[name], strict=True)]
        cpu_ratio = statistics.median(cpus[limit]) / statistics.median(cpus[name])
        rows.append(
            (
                name,
                f"{n / statistics.median(walls[name]):.0f}",
                f"{statistics.median(cpus[name]) / n * 1e3:.2f}",
                f"{statistics.median(ratios):.2f}",
                f"{cpu_ratio:.2f}",
            )
        )
    header = ("run", "img/s (median)", "CPU ms/img", "÷ limit, wall", "÷ limit, CPU per image")
    rep.table(header, rows)


def _describe(rep: Report, n: int, mp: float, mb: float, bm: BenchModel, embedder: Embedder) -> None:
    prep = embedder.manifest.preprocessing
    rep.add(
        f"Folder: {n} JPEGs, {mp:.2f} MP and {mb:.2f} MB on average (made by bench/folder/photo_folder.py).",
        f"Model: {bm.origin}; input {prep.input_size} px {prep.resize}, dim {embedder.dim}, "
        f"ONNX Runtime provider {embedder.provider}; "
        f"torch twin ({type(bm.torch_model).__name__}): {bm.weights}.",
        f"Decode workers: {decode_workers()}, ONNX Runtime threads: {inference_threads()}; "
        "cold cache each time; model loading not timed.",
        "",
    )


def _conclude(
    rep: Report,
    embedder: Embedder,
    bm: BenchModel,
    walls: dict[str, list[float]],
    cpus: dict[str, list[float]],
) -> None:
    pipe, limit = walls["pipeline (embed_folder)"], walls["decode-only (limit)"]
    lim = statistics.median(a / b for a, b in zip(limit, pipe, strict=True))
    infer = walls["inference-only (limit)"]
    both = statistics.median(
        max(a, b) / c for a, b, c in zip(limit, infer, pipe, strict=True)
    )  # throughput: pipeline ÷ min(decode-only, inference-only)
    tor = statistics.median(a / b for a, b in zip(walls["torch eager (same feeding)"], pipe, strict=True))
    cpu_lim = statistics.median(cpus["decode-only (limit)"]) / statistics.median(
        cpus["pipeline (embed_folder)"]
    )
    size = embedder.manifest.preprocessing.input_size
    batch = np.random.default_rng(0).integers(0, 256, (64, size, size, 3), dtype=np.uint8)
    ort_ips, torch_ips = model_only(embedder, bm.torch_model, batch, repeats=10)
    rep.add(
        '"÷ limit, wall": median over rounds of decode-only time / this run\'s time. '
        '"÷ limit, CPU per image": decode-only CPU per image / this run\'s, the throughput ratio '
        "when every core is busy (insensitive to other users of the machine).",
        "",
        f"Inference alone (batch 64, no decoding): ONNX Runtime {ort_ips:.0f} img/s, "
        f"torch eager {torch_ips:.0f} img/s, ratio {ort_ips / torch_ips:.2f}.",
        "",
        f"- pipeline / min(decode-only, inference-only) throughput, wall clock: {both:.2f} — "
        f"goal ≥ {GOAL_BOTH_LIMITS}: {verdict(both >= GOAL_BOTH_LIMITS)}",
        f"- pipeline / decode-only limit, wall clock: {lim:.2f} — goal ≥ {GOAL_LIMIT}: "
        f"{verdict(lim >= GOAL_LIMIT)}",
        f"- pipeline / decode-only limit, CPU per image (a machine with no idle core): {cpu_lim:.2f} — "
        f"goal ≥ {GOAL_LIMIT}: {verdict(cpu_lim >= GOAL_LIMIT)}",
        f"- pipeline / torch eager pipeline: {tor:.2f} (median of rounds) — goal ≥ {GOAL_TORCH}: "
        f"{verdict(tor >= GOAL_TORCH)}",
        "",
    )


def main(argv: list[str] | None = None) -> None:
    """Command line: sizes by flag, defaults as in the README."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=2000, help="photo-sized JPEGs (default 2000)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2)")
    parser.add_argument(
        "--model", type=Path, action="append", default=[], help="also time this model file (repeatable)"
    )
    args = parser.parse_args(argv)
    run(args.images, args.rounds, args.model).save()


if __name__ == "__main__":
    main()
