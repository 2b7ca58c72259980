"""A cold `lookalike embed` against the machine's limit, every figure of the goal from one run.

Goal: a cold scan of 4,000 photo-sized JPEGs (1400×1050) reaches ≥ 0.8 × cores / (t_decode + t_infer)
(2 / (t_decode + t_infer) on 2 cores), start-up included, with the bundled model. The two per-image
costs are measured here on one thread each, interleaved with the scan round by round (order reversed
every other round), so machine noise hits all three alike:

- t_decode: the engine's own load + prepare (open, JPEG draft, RGB, resize to the model's input;
  `load_prepared` as embed_folder's decode workers call it), one thread, no model;
- t_infer: the engine's Embedder (ONNX Runtime, one intra-op thread, no spinning) on the folder
  already prepared, in embed_folder's batches of 64;
- the cold scan: the `lookalike` command as a user starts it, `embed FOLDER --device cpu`, in a new
  process with a new, empty LOOKALIKE_CACHE_DIR; wall time from process start to exit.

"Cold" means a new process and an empty embedding cache: the JPEG bytes are in the OS page cache
(every round reads them), as they are for any folder a user has just copied or browsed.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.folder.cpu_split import cpu_cores
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder

from bench.common import Report, lookalike_command, machine_line, verdict
from bench.folder.folder_embedding import decode_only, inference_only, measure, prepared_batches
from bench.folder.photo_folder import ensure_photo_folder, folder_stats

GOAL = 0.8
PHOTO_SIZE = (1400, 1050)  # the photo size: every image of the folder is this size
REPO = Path(__file__).resolve().parents[2]
_SUMMARY = re.compile(r"(\d+) image\(s\): (\d+) embedded, (\d+) from cache")


@dataclass(frozen=True)
class Context:
    """What every round works on: the folder, an empty folder, the one-thread model, prepared inputs."""

    folder: Path
    empty: Path
    embedder: Embedder
    batches: list[np.ndarray]
    n: int


@dataclass(frozen=True)
class Scan:
    """One `lookalike embed` process: wall and CPU seconds, when its stderr lines came, what it embedded."""

    wall: float  # process start to exit
    cpu: float  # user + system seconds of the process, all its threads
    model_ready: float  # its "model: ..." line: interpreter, imports, model load and test run done
    done: float  # its "N image(s): ..." line: folder scanned, embedded and the cache saved
    embedded: int

    def phases(self) -> tuple[float, float, float]:
        """(start-up to model ready, embedding, the last line to exit) in seconds: where the wall goes."""
        return self.model_ready, self.done - self.model_ready, self.wall - self.done


@dataclass(frozen=True)
class Round:
    """One round's figures; seconds per image for the two one-thread costs."""

    decode: tuple[float, float]  # (wall, CPU) seconds per image
    infer: tuple[float, float]
    scan: Scan
    startup: Scan

    def limit(self, cores: int) -> float:
        """Images per second with every core busy and nothing lost: cores / (t_decode + t_infer)."""
        return cores / (self.decode[0] + self.infer[0])

    def ratio(self, cores: int, n: int) -> float:
        """Cold scan throughput over the limit, both from this round."""
        return n / self.scan.wall / self.limit(cores)


def one_thread_embedder(model: Path) -> Embedder:
    """The engine's Embedder, built while this thread may run on one core only, so the engine's own
    rule (cpu_split.inference_threads: a quarter of the usable cores, at least one) gives the session
    one intra-op thread on any machine; the core mask is restored before anything is timed."""
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        if cores:
            os.sched_setaffinity(0, {min(cores)})
        embedder = Embedder(model, device="cpu")
    finally:
        if cores:
            os.sched_setaffinity(0, cores)
    threads = embedder.session.get_session_options().intra_op_num_threads
    if threads != 1:
        raise SystemExit(f"ONNX Runtime got {threads} intra-op threads, not 1: t_infer would be wrong")
    return embedder


def per_image(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """(wall, CPU) seconds per image of one call that handles n images."""
    wall, cpu = measure(fn)
    return wall / n, cpu / n


def run_cli(folder: Path) -> Scan:
    """`lookalike embed FOLDER` in a new process with a new, empty cache; this checkout's code first on
    the path, so a branch is measured, not whatever is installed."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    cmd = [*lookalike_command(), "embed", str(folder), "--device", "cpu"]
    with tempfile.TemporaryDirectory(prefix="lookalike-cold-cache-") as cache:
        env = {**os.environ, "LOOKALIKE_CACHE_DIR": cache, "PYTHONPATH": path}
        before = _children_cpu()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        lines = [(time.perf_counter() - start, line) for line in proc.stderr]
        code = proc.wait()
        wall = time.perf_counter() - start
        cpu = _children_cpu() - before
    text = "".join(line for _, line in lines)
    summary = _SUMMARY.search(text)
    if code != 0 or summary is None or summary.group(3) != "0":
        raise SystemExit(f"not a cold scan: {' '.join(cmd)} exited {code}:\n{text[-2000:]}")
    ready = next((t for t, line in lines if line.startswith("model:")), float("nan"))
    done = next(t for t, line in lines if _SUMMARY.search(line))
    return Scan(wall, cpu, ready, done, int(summary.group(2)))


def _children_cpu() -> float:
    """User + system seconds of every child process this one has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cold_scan(ctx: Context) -> Scan:
    scan = run_cli(ctx.folder)
    if scan.embedded != ctx.n:
        raise SystemExit(f"the cold scan embedded {scan.embedded} of {ctx.n} images")
    return scan


STEPS: dict[str, Callable[[Context], Any]] = {  # Round's fields, in the order of even rounds
    "decode": lambda ctx: per_image(lambda: decode_only(ctx.folder, ctx.embedder, workers=1), ctx.n),
    "infer": lambda ctx: per_image(lambda: inference_only(ctx.embedder, ctx.batches), ctx.n),
    "startup": lambda ctx: run_cli(ctx.empty),
    "scan": _cold_scan,
}


def one_round(ctx: Context, index: int, cores: int) -> Round:
    """Every step once, reversed every other round (ABBA), printed as it lands."""
    names = list(STEPS) if index % 2 == 0 else list(reversed(STEPS))
    rnd = Round(**{name: STEPS[name](ctx) for name in names})
    print(
        f"  round {index + 1}: decode {rnd.decode[0] * 1e3:.2f} ms/img, inference "
        f"{rnd.infer[0] * 1e3:.2f} ms/img, limit {rnd.limit(cores):.0f} img/s; cold scan "
        f"{rnd.scan.wall:.1f} s = {ctx.n / rnd.scan.wall:.0f} img/s ({rnd.ratio(cores, ctx.n):.2f} "
        f"of the limit); start-up alone {rnd.startup.wall:.2f} s",
        flush=True,
    )
    return rnd


def run(images: int, rounds: int) -> Report:
    """Measure, print and return the report."""
    folder = ensure_photo_folder(images, size=PHOTO_SIZE)
    n, mp, mb = folder_stats(folder)
    model = default_model_path()
    embedder = one_thread_embedder(model)
    cores = cpu_cores()
    rep = Report("cold_scan", "Cold scan (`lookalike embed`) vs the limit cores / (t_decode + t_infer)")
    prep = embedder.manifest.preprocessing
    rep.add(
        f"Folder: {n} JPEGs of {PHOTO_SIZE[0]}×{PHOTO_SIZE[1]} ({mp:.2f} MP, {mb:.2f} MB on average; "
        "bench/folder/photo_folder.py). "
        f"Model: {model} ({embedder.manifest.name}), input {prep.input_size} px {prep.resize}, "
        f"dim {embedder.dim}. Usable cores: {cores} (os.cpu_count() {os.cpu_count()}).",
        "Command: `lookalike embed FOLDER --device cpu` "
        f"({lookalike_command()[0]}), new empty LOOKALIKE_CACHE_DIR each time; rounds: {rounds}.",
        "",
    )
    with tempfile.TemporaryDirectory(prefix="lookalike-empty-") as empty:
        ctx = Context(folder, Path(empty), embedder, prepared_batches(folder, embedder), n)
        results = [one_round(ctx, r, cores) for r in range(rounds)]
    _table(rep, results, cores, n)
    _conclude(rep, results, cores, n)
    return rep


def _table(rep: Report, results: list[Round], cores: int, n: int) -> None:
    header = (
        "round",
        "t_decode ms (CPU)",
        "t_infer ms (CPU)",
        "limit img/s",
        "cold scan s",
        "cold scan img/s",
        "÷ limit",
        "model ready s",
        "embedding s (÷ limit)",
        "exit s",
        "start-up alone s",
        "scan CPU ms/img",
    )
    rows = [
        (
            str(i + 1),
            f"{r.decode[0] * 1e3:.2f} ({r.decode[1] * 1e3:.2f})",
            f"{r.infer[0] * 1e3:.2f} ({r.infer[1] * 1e3:.2f})",
            f"{r.limit(cores):.0f}",
            f"{r.scan.wall:.2f}",
            f"{n / r.scan.wall:.0f}",
            f"{r.ratio(cores, n):.2f}",
            f"{r.scan.phases()[0]:.2f}",
            f"{r.scan.phases()[1]:.2f} ({n / r.scan.phases()[1] / r.limit(cores):.2f})",
            f"{r.scan.phases()[2]:.2f}",
            f"{r.startup.wall:.2f}",
            f"{r.scan.cpu / n * 1e3:.2f}",
        )
        for i, r in enumerate(results)
    ]
    rep.table(header, rows)


def _conclude(rep: Report, results: list[Round], cores: int, n: int) -> None:
    def med(fn: Callable[[Round], float]) -> float:
        return statistics.median(fn(r) for r in results)

    t_decode, t_infer = med(lambda r: r.decode[0]), med(lambda r: r.infer[0])
    limit = cores / (t_decode + t_infer)
    wall, ratio = med(lambda r: r.scan.wall), med(lambda r: r.ratio(cores, n))
    rep.add(
        "Medians over the rounds:",
        "",
        f"- t_decode = {t_decode * 1e3:.2f} ms/img (decode-only, one thread)",
        f"- t_infer = {t_infer * 1e3:.2f} ms/img (inference-only, one ONNX Runtime thread, batches of 64)",
        f"- limit = {cores} / (t_decode + t_infer) = **{limit:.0f} img/s**",
        f"- cold scan = {n} / {wall:.2f} s = **{n / wall:.0f} img/s** (start-up included)",
        f"- cold scan / limit = **{ratio:.2f}** (median of the rounds' ratios) — goal ≥ {GOAL}: "
        f"{verdict(ratio >= GOAL)}",
        "",
        f"Where the scan's {wall:.2f} s go (at the limit the images take {n / limit:.2f} s): "
        f"{med(lambda r: r.scan.phases()[0]):.2f} s until the model is ready (interpreter, imports, "
        f"model load and test run), {med(lambda r: r.scan.phases()[1]):.2f} s embedding (folder scan, "
        "decode, inference, cache checkpoints and save; "
        f"{med(lambda r: n / r.scan.phases()[1] / r.limit(cores)):.2f} of the limit), "
        f"{med(lambda r: r.scan.phases()[2]):.2f} s from its last line to exit. `lookalike embed` of an "
        f"empty folder takes {med(lambda r: r.startup.wall):.2f} s. CPU per image, all the scan's "
        f"threads: {med(lambda r: r.scan.cpu) / n * 1e3:.2f} ms, "
        f"{med(lambda r: r.scan.cpu - r.startup.cpu) / n * 1e3:.2f} ms without the empty folder's, "
        f"against t_decode + t_infer = {(t_decode + t_infer) * 1e3:.2f} ms "
        f"({med(lambda r: r.decode[1] + r.infer[1]) * 1e3:.2f} ms by CPU time); cores busy on average: "
        f"{med(lambda r: r.scan.cpu / r.scan.wall):.2f} of {cores}.",
        "",
        f"At the end: {machine_line()}",
        "",
    )


def main(argv: list[str] | None = None) -> None:
    """Command line: the issue's sizes by default; run it alone on the machine."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4000, help="JPEGs of 1400×1050 (default 4000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    args = parser.parse_args(argv)
    run(args.images, args.rounds).save()


if __name__ == "__main__":
    main()
