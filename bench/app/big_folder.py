"""Issue 20: a big folder on a laptop — 10k / 30k / 100k images, warm cache, app and CLI.

For each size: a folder of small real-looking images is made once (crops and re-encodes of the
shared datasets, one sub-folder per source set, so a few large classes: evaluate's worst case) and
embedded once with the bundled model (`lookalike embed`, cold, timed for information). Then, on the
warm cache, each step runs in a fresh process so its peak memory (the kernel's high-water mark) is
its own:
- the app (bench/app/big_window.py, the real main window offscreen): time to a usable window (gallery
  filled, a selection's neighbours shown, slider live), neighbours of a selection, slider moves,
  duplicates listing, the map (sampled: sample size printed), the longest UI stall, peak memory;
- the CLI: `neighbours` (every image's 10 nearest), `evaluate`, `duplicates`, `map --html`.
Peak memory is checked against the memory model of docs/SCALE.md.

Benchmarks run alone on the machine. `--sizes 2000` is a smoke run.

    python -m bench.app.big_folder [--sizes 10000 30000 100000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import Report, verdict
from bench.folder.photo_folder import SOURCE_SETS, bench_dir

SIZES = (10_000, 30_000, 100_000)
DATASETS = Path(os.environ.get("LOOKALIKE_DATASETS", Path(__file__).resolve().parents[3] / "shared/datasets"))
EDGE = 128  # generated images are EDGE x EDGE JPEGs: small, as the issue asks
GOALS = {  # issue 20, "Done when", for 100k images
    "usable_s": 10.0,
    "neighbours_ms": 100.0,
    "slider_ms": 100.0,
    "duplicates_s": 30.0,
    "map_s": 60.0,
    "stall_ms": 50.0,
    "peak_mb": 2048.0,
}
# Memory model (docs/SCALE.md): a fixed part plus bytes per image, by process. With the hybrid
# model (1,536 numbers per image) it was app 600 MB + 37,000 B and CLI 300 MB + 31,000 B (fitted
# at 10k and 30k; 3.7 and 3.3 GB at 100k); after one vector copy per process, an 8-bit folder
# index and a picture check that keeps ~3 KB a picture (2026-12-07, 100k: app 1,823 MB, CLI at
# most 1,643 MB), refitted to the 10k, 30k and 100k peaks: a larger fixed part (the map's
# 20,000-point t-SNE is most of the CLI's: 770 MB at 10k) and the vectors, the 8-bit folder index
# and the picture check's ~3 KB per image.
MODEL_FIXED_MB = {"app": 900.0, "cli": 1050.0}
MODEL_BYTES_PER_IMAGE = {"app": 10_000, "cli": 6_500}


def sources() -> list[tuple[str, Path]]:
    """(set name, file) of every image of the shared sets, in a fixed order."""
    from lookalike.engine.images.loading import is_image_name

    out: list[tuple[str, Path]] = []
    for name in SOURCE_SETS:
        files = sorted(p for p in (DATASETS / name).rglob("*") if p.is_file() and is_image_name(p.name))
        out.extend((name.split("/")[0], p) for p in files)
    if not out:
        raise SystemExit(f"no images under {DATASETS} (set LOOKALIKE_DATASETS)")
    return out


def make_folder(n: int) -> Path:
    """n small images (a seeded crop, resize and JPEG re-encode of a source each), made once."""
    folder = bench_dir() / f"big-{n}"
    if (folder / ".complete").exists():
        return folder
    pool = sources()
    print(f"generating {n:,} images in {folder} (once)", flush=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        list(ex.map(lambda i: _variant(folder, i, *pool[i % len(pool)]), range(n)))
    (folder / ".complete").write_text(f"{n}\n")
    return folder


def _variant(folder: Path, i: int, label: str, src: Path) -> None:
    import numpy as np
    from PIL import Image

    out = folder / label / f"{i:06d}.jpg"
    if out.exists():
        return
    rng = np.random.default_rng(i)
    with Image.open(src) as im:
        img = im.convert("RGB")
    w, h = img.size
    s = rng.uniform(0.6, 1.0)
    cw, ch = max(8, int(w * s)), max(8, int(h * s))
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    img = img.crop((x, y, x + cw, y + ch)).resize((EDGE, EDGE))
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=int(rng.integers(60, 95)))
    out.write_bytes(buf.getvalue())


def run_measured(cmd: list[str], env: dict[str, str], timeout: float = 3600) -> tuple[float, float, str]:
    """(wall s, peak RSS MB, stdout) of one child process, its peak from its own rusage (wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {stderr.strip()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, stdout


def lookalike(*args: str) -> list[str]:
    """The CLI as a child process of this interpreter."""
    return [sys.executable, "-c", "from lookalike.cli.main import main; raise SystemExit(main())", *args]


def cli_steps(folder: Path, env: dict[str, str], tmp: Path) -> dict[str, tuple[float, float]]:
    """(seconds, peak MB) of each CLI command on the warm cache."""
    steps = {
        "neighbours": lookalike("neighbours", str(folder), "-k", "10", "--json"),
        "evaluate": lookalike("evaluate", str(folder), "--json"),
        "duplicates": lookalike("duplicates", str(folder), "--json"),
        "map": lookalike("map", str(folder), "--html", str(tmp / "map.html"), "--force"),
    }
    out = {}
    for name, cmd in steps.items():
        seconds, peak, _ = run_measured(cmd, env)
        out[name] = (seconds, peak)
        print(f"  cli {name}: {seconds:.1f} s, {peak:.0f} MB", flush=True)
    return out


def app_steps(folder: Path, env: dict[str, str], tmp: Path) -> dict[str, Any]:
    """The real window in a child process (bench/app/big_window.py): its measurements."""
    cmd = [sys.executable, "-m", "bench.app.big_window", str(folder), "--settings", str(tmp / "settings.ini")]
    _, peak, out = run_measured(cmd, env)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    # The child resets its high-water mark before each step, so its own rusage holds the last one only.
    result["process_peak_mb"] = max(peak, *result["step_peaks_mb"].values())
    print(f"  app: {result}", flush=True)
    return result


def model_mb(kind: str, n: int) -> float:
    """The memory model's prediction for `n` images."""
    return MODEL_FIXED_MB[kind] + n * MODEL_BYTES_PER_IMAGE[kind] / 2**20


def measure_size(n: int, rep: Report) -> list[tuple[str, ...]]:
    """Make, embed, and measure one size; rows for the report's table."""
    folder = make_folder(n)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LOOKALIKE_CACHE_DIR=str(bench_dir() / "big-cache"))
    cold, cold_mb, _ = run_measured(lookalike("embed", str(folder)), env)
    rep.add(f"{n:,} images: `lookalike embed` {cold:.1f} s, {cold_mb:.0f} MB (0 s when already cached)")
    with tempfile.TemporaryDirectory(prefix="lookalike-big-") as tmp:
        app = app_steps(folder, env, Path(tmp))
        cli = cli_steps(folder, env, Path(tmp))
    return _rows(n, app, cli)


def _rows(n: int, app: dict[str, Any], cli: dict[str, tuple[float, float]]) -> list[tuple[str, ...]]:
    big = n >= 100_000  # the goals are for 100k; smaller sizes show the growth
    g = GOALS

    def row(what: str, value: str, goal: str, ok: bool) -> tuple[str, ...]:
        return (f"{n:,}", what, value, goal, verdict(ok) if big else ("ok" if ok else "over"))

    rows = [
        row(
            "usable window (gallery, neighbours, slider)",
            f"{app['usable_s']:.2f} s",
            "≤ 10 s",
            app["usable_s"] <= g["usable_s"],
        ),
        row(
            "neighbours of a selection (median; max)",
            f"{app['neighbours_ms']:.1f}; {app['neighbours_max_ms']:.1f} ms",
            "≤ 100 ms",
            app["neighbours_max_ms"] <= g["neighbours_ms"],
        ),
        row(
            "slider move (median; max)",
            f"{app['slider_ms']:.1f}; {app['slider_max_ms']:.1f} ms",
            "≤ 100 ms",
            app["slider_max_ms"] <= g["slider_ms"],
        ),
        row(
            "duplicates listing",
            f"{app['duplicates_s']:.1f} s",
            "≤ 30 s",
            app["duplicates_s"] <= g["duplicates_s"],
        ),
        row(
            f"map ({app['map_points']:,} of {n:,} points)",
            f"{app['map_s']:.1f} s",
            "≤ 60 s",
            app["map_s"] <= g["map_s"],
        ),
        row(
            "longest UI stall (per step: "
            + ", ".join(f"{k} {v}" for k, v in app["step_stalls_ms"].items())
            + " ms)",
            f"{app['stall_ms']:.1f} ms",
            "≤ 50 ms",
            app["stall_ms"] <= g["stall_ms"],
        ),
    ]
    rows.append(_memory_row(row, "app", n, app["process_peak_mb"], app["step_peaks_mb"]))
    for name, (seconds, peak) in cli.items():
        rows.append(
            row(
                f"CLI {name}: time; peak",
                f"{seconds:.1f} s; {peak:.0f} MB",
                f"≤ {model_mb('cli', n):.0f} MB (model), < 2 GB",
                peak <= min(model_mb("cli", n), g["peak_mb"]),
            )
        )
    return rows


def _memory_row(row: Any, kind: str, n: int, peak: float, steps: dict[str, float]) -> tuple[str, ...]:
    per_step = ", ".join(f"{k} {v:.0f}" for k, v in steps.items())
    limit = min(model_mb(kind, n), GOALS["peak_mb"])
    return row(
        f"app peak memory (per step: {per_step})",
        f"{peak:.0f} MB",
        f"≤ {model_mb(kind, n):.0f} MB (model), < 2 GB",
        peak <= limit,
    )


def main(argv: list[str] | None = None) -> None:
    """Every size in turn, then one table saved to bench/results/big_folder.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args(argv)
    rep = Report("big_folder", "A big folder: app and CLI at 10k / 30k / 100k images, warm cache")
    rows: list[tuple[str, ...]] = []
    for n in args.sizes:
        rows += measure_size(n, rep)
    rep.add("")
    rep.table(("images", "step", "measured", "goal (at 100k)", "verdict"), rows)
    rep.add(
        "Each step in a fresh process; peak = the process's resident high-water mark (app steps: reset "
        "before each step through /proc/self/clear_refs). Model: docs/SCALE.md, "
        f"app {MODEL_FIXED_MB['app']:.0f} MB + {MODEL_BYTES_PER_IMAGE['app']:,} B/image, "
        f"CLI {MODEL_FIXED_MB['cli']:.0f} MB + {MODEL_BYTES_PER_IMAGE['cli']:,} B/image.",
        "",
    )
    rep.save()


if __name__ == "__main__":
    main()
