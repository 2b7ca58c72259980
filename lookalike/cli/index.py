"""`lookalike index SOURCE --out DIR`, and opening an index wherever a command takes a folder."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from lookalike.cli.output import info, print_json, progress_printer
from lookalike.engine.errors import LookalikeError
from lookalike.engine.folder.interrupts import JobInterruptedError, signals_set
from lookalike.engine.index.build import HERE_MAX, IndexSettings, build_index
from lookalike.engine.index.reader import IndexEmbeddings, describe, open_index
from lookalike.engine.io.output_paths import check_output_folder
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder


def register_index_command(sub: argparse._SubParsersAction) -> None:
    """Add `index` to the `lookalike` parser."""
    p = sub.add_parser(
        "index",
        help="embed a folder or a list of paths on Ray into Parquet shards and a FAISS index",
        description="Embed SOURCE (a folder, or a text file with one image path per line) on a Ray "
        "cluster into Parquet shards and a FAISS index in --out; re-running embeds only new or "
        "changed files. Needs the cluster extra: pip install 'lookalike[cluster]'.",
    )
    p.add_argument("source", type=Path)
    p.add_argument("--out", type=Path, required=True, help="index folder (created; reused on re-runs)")
    p.add_argument(
        "--ray",
        default="auto",
        help="cluster address (ray://host:10001, host:6379), local (a Ray cluster on this machine) or "
        f"auto (default: local, but up to {HERE_MAX:,} new files are embedded in this process, where "
        "starting Ray would take longer than the work)",
    )
    p.add_argument("--workers", type=int, default=0, help="embedding actors (default: one per core here)")
    p.add_argument("--model", type=Path, default=None, help="ONNX model (default: bundled)")
    p.add_argument("--shard-rows", type=int, default=50_000, help="rows per Parquet shard")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=_index)


def _index(args: argparse.Namespace) -> int:
    if args.workers < 0:
        raise LookalikeError("--workers must be 0 (one per core) or more")
    if args.shard_rows < 1:
        raise LookalikeError("--shard-rows must be at least 1")
    check_output_folder(args.out, reads=[args.source], flag="--out")
    model = (args.model or default_model_path()).resolve()
    settings = IndexSettings(args.source, args.out, model, args.ray, args.workers, args.shard_rows)
    cancel = threading.Event()
    with signals_set(cancel) as received:  # Ctrl+C / SIGTERM: stop, keep the shards written
        report = build_index(settings, progress=progress_printer("indexing"), cancel=cancel)
    if report.cancelled or received:
        raise JobInterruptedError(
            f"interrupted: {report.n_embedded} image(s) embedded and kept in {args.out}; "
            "run the same command again to finish the index",
            received[0] if received else signal.SIGINT,
        )
    for where, provider in sorted(report.workers.items()):
        info(f"worker {where}: {provider}")
    info(
        f"{report.n_rows} image(s) in {args.out}: {report.n_embedded} embedded, {report.n_reused} kept, "
        f"{report.n_dropped} dropped (changed or removed), {report.n_skipped} skipped"
    )
    if report.ann:
        params = ", ".join(f"{k}={v}" for k, v in report.ann["params"].items())
        info(f"FAISS {report.ann['kind']} ({params}): recall@10 {report.ann['recall_at_10']:.3f}")
    if args.json:
        print_json({"index": str(args.out), **report.__dict__})
    return 0


def open_index_cli(folder: Path, embedder: Embedder) -> IndexEmbeddings:
    """Open an index for a folder command, saying what it is."""
    emb = open_index(folder, embedder)
    info(describe(emb))
    return emb
