"""Issue 12: what opening a big index costs on the desktop (time and memory), as the app does it.

Writes an index of N rows (synthetic paths, realistic vectors from bench/search/index_vectors.py) with
the engine's shard writer and FAISS build, then opens it in a fresh process with
engine.index.reader.open_index and reports wall time and peak memory (VmHWM) of that call.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lookalike.engine.index.build import finish_index
from lookalike.engine.index.manifest import new_manifest, write_manifest
from lookalike.engine.index.shards import Rows
from lookalike.engine.index.writer import ShardWriter
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder

from bench.common import Report
from bench.search.index_vectors import clustered_like, real_embeddings, within_class_std


def write_synthetic(out: Path, n: int) -> float:
    """An index of n rows with paths like 'class0123/img0000456.jpg'; returns seconds to write."""
    embedder = Embedder(default_model_path(), device="cpu")
    real, labels = real_embeddings()
    x = clustered_like(real, within_class_std(real, labels), n)
    t0 = time.perf_counter()
    manifest = new_manifest(embedder.manifest, embedder.sha256, "synthetic", "/nonexistent")
    out.mkdir(parents=True)
    write_manifest(out, manifest)
    writer = ShardWriter(out, manifest, 50_000, [])
    for start in range(0, n, 50_000):
        stop = min(start + 50_000, n)
        writer.rows = Rows(
            [f"class{i // 1000:04d}/img{i:07d}.jpg" for i in range(start, stop)],
            [100_000] * (stop - start),
            [0] * (stop - start),
            [f"class{i // 1000:04d}" for i in range(start, stop)],
            list(x[start:stop]),
            [""] * (stop - start),
        )
        writer.flush()
    finish_index(out, writer.manifest, changed=True)
    return time.perf_counter() - t0


def open_in_child(out: Path) -> dict[str, float]:
    """open_index in a fresh process: its wall time and peak memory (VmHWM: ru_maxrss survives exec)."""
    code = (
        "import json,time;from lookalike.engine.index.reader import open_index;"
        "hwm=lambda:int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]);"
        "from lookalike.engine.model.embedder import Embedder;"
        "from lookalike.engine.model.bundled import default_model_path;"
        "e=Embedder(default_model_path(),device='cpu');m0=hwm();"
        f"t=time.perf_counter();x=open_index({str(out)!r},e);t=time.perf_counter()-t;"
        "m1=hwm();"
        "print(json.dumps({'seconds':t,'peak_mb':m1/1024,'before_mb':m0/1024,'rows':len(x)}))"
    )
    out_text = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out_text.strip().splitlines()[-1]))


def main() -> None:
    """Write, open, report; saves bench/results/index_open.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    report = Report("index_open", "Opening a big index: time and memory")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ix"
        t_write = write_synthetic(out, args.rows)
        size = sum(p.stat().st_size for p in (out / "shards").iterdir())
        got = open_in_child(out)
    report.add(
        f"{args.rows:,} rows, 128-d: shards {size / 2**20:.0f} MB on disk ({size / args.rows:.0f} B/row), "
        f"written + FAISS built in {t_write:.1f} s.",
        "",
    )
    report.table(
        ("rows", "open_index s", "peak MB (process)", "MB before open"),
        [
            (
                f"{int(got['rows']):,}",
                f"{got['seconds']:.1f}",
                f"{got['peak_mb']:.0f}",
                f"{got['before_mb']:.0f}",
            )
        ],
    )
    report.save()


if __name__ == "__main__":
    main()
