"""The engine's subcommands: embed, compare, neighbours, evaluate, map, cache (stable for scripting)."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import Any

import numpy as np

from lookalike.cli.cache import register_cache_command
from lookalike.cli.explain import register_explain
from lookalike.cli.output import (
    info,
    print_json,
    progress_printer,
    report_skipped,
    shown,
    skipped_json,
)
from lookalike.engine.errors import FolderError, LookalikeError
from lookalike.engine.folder.embedding import FolderEmbeddings, embed_folder
from lookalike.engine.folder.interrupts import JobInterruptedError, signals_set
from lookalike.engine.index.manifest import is_index_dir
from lookalike.engine.io.output_paths import (
    check_output_path,
    is_lookalike_html,
    is_lookalike_npz,
    write_output,
)
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.model.manifest import MAX_DISTANCE
from lookalike.engine.search.distances import distance
from lookalike.engine.search.image_query import answer_for, embed_query
from lookalike.engine.search.vector_search import search_of


def register_engine_commands(sub: argparse._SubParsersAction) -> None:
    """Add the engine's subcommands to the `lookalike` parser."""
    p = _add(sub, "embed", "embed a folder's images (incremental, cached)", _embed)
    p.add_argument("folder", type=Path)
    p.add_argument("--out", type=Path, help="also write paths, labels and vectors to FILE.npz")
    p.add_argument("--force", action="store_true", help="replace an existing --out file that is not ours")
    p = _add(sub, "compare", "distance between two images and the verdict", _compare)
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument(
        "--threshold", type=distance_threshold, help="match below this distance, 0 to 2 (default: model's)"
    )
    p = _add(sub, "neighbours", "nearest neighbours in a folder", _neighbours)
    p.add_argument("folder", type=Path)
    p.add_argument("--query", type=Path, help="an image (inside the folder or not)")
    p.add_argument("-k", type=int, default=5, help="neighbours per image (default 5)")
    p.add_argument(
        "--threshold", type=distance_threshold, help="match below this distance, 0 to 2 (default: model's)"
    )
    p = _add(sub, "evaluate", "retrieval and verification metrics of a labelled folder", _evaluate)
    p.add_argument("folder", type=Path)
    p = _add(sub, "map", "write a standalone interactive t-SNE page", _map)
    p.add_argument("folder", type=Path)
    p.add_argument("--html", type=Path, required=True, help="output page (OUT.html)")
    p.add_argument("--force", action="store_true", help="replace an existing file that is not ours")
    register_cache_command(sub)
    _register_duplicates(sub)
    register_explain(sub, _add)
    from lookalike.cli.index import register_index_command

    register_index_command(sub)


def _register_duplicates(sub: argparse._SubParsersAction) -> None:
    """`lookalike duplicates` lives in its own module; imported here to avoid an import cycle."""
    from lookalike.cli.duplicates import add_duplicates_arguments, run_duplicates

    add_duplicates_arguments(_add(sub, "duplicates", "groups of near-identical images", run_duplicates))


def _add(sub: argparse._SubParsersAction, name: str, help_: str, func: Any) -> Any:
    p = sub.add_parser(name, help=help_, description=help_)
    p.add_argument("--model", type=Path, default=None, help="ONNX model (default: bundled)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=func)
    return p


def _open_model(args: argparse.Namespace) -> Embedder:
    return Embedder(args.model or default_model_path(), device=args.device)


def _announce(embedder: Embedder) -> None:
    info(f"model: {embedder.path.name} ({embedder.manifest.name}), provider: {embedder.provider}")


def _load_folder_model(args: argparse.Namespace) -> Embedder:
    """Check the folder before the (slow) model load, so a typo fails fast with one error line."""
    if not args.folder.exists():
        raise FolderError(f"folder not found: {args.folder}")
    if not args.folder.is_dir():
        raise FolderError(f"not a folder: {args.folder}")
    embedder = _open_model(args)
    _announce(embedder)
    return embedder


def _embed_folder(args: argparse.Namespace, embedder: Embedder) -> FolderEmbeddings:
    """Embed with terminal progress; Ctrl+C or SIGTERM stops the scan, saves what was embedded, exits."""
    if is_index_dir(args.folder):
        from lookalike.cli.index import open_index_cli

        return open_index_cli(args.folder, embedder)
    cancel = threading.Event()
    with signals_set(cancel) as received:
        result = embed_folder(args.folder, embedder, progress=progress_printer("embedding"), cancel=cancel)
    for notice in result.notices:
        info(notice)
    if received:
        done = result.n_embedded + result.n_cached
        raise JobInterruptedError(
            f"interrupted: {done} image(s) embedded and saved in the cache", received[0]
        )
    info(f"{len(result)} image(s): {result.n_embedded} embedded, {result.n_cached} from cache")
    report_skipped(result.skipped)
    return result


def _base_json(result: FolderEmbeddings, embedder: Embedder) -> dict[str, Any]:
    return {
        "provider": embedder.provider,
        "model": str(embedder.path),
        "n_images": len(result),
        "skipped": skipped_json(result.skipped),
    }


def _embed(args: argparse.Namespace) -> int:
    if args.out:
        check_output_path(
            args.out,
            reads=[args.folder],
            suffixes=[".npz"],
            flag="--out",
            force=args.force,
            is_ours=is_lookalike_npz,
        )
    embedder = _load_folder_model(args)
    result = _embed_folder(args, embedder)
    if args.out:
        paths = np.asarray(result.paths, dtype=np.str_)
        labels = np.asarray([lab or "" for lab in result.labels], dtype=np.str_)
        # Written to a handle, so numpy adds no ".npz" to the name the user gave.
        write_output(
            args.out, lambda fh: np.savez(fh, paths=paths, labels=labels, vectors=result.vectors), "--out"
        )
        info(f"wrote {shown(str(args.out))}")
    if args.json:
        print_json(
            _base_json(result, embedder) | {"n_embedded": result.n_embedded, "n_cached": result.n_cached}
        )
    return 0


def _compare(args: argparse.Namespace) -> int:
    embedder = _open_model(args)
    threshold = args.threshold if args.threshold is not None else embedder.manifest.default_threshold
    d = distance(embed_query(embedder, args.a), embed_query(embedder, args.b))
    _announce(embedder)
    match = d < threshold
    if args.json:
        print_json({"distance": d, "threshold": threshold, "match": match, "provider": embedder.provider})
    else:
        verdict = "MATCH" if match else "no match"
        print(f"distance {d:.4f}  threshold {threshold:.4f}  {verdict}")
    return 0


def _neighbours(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise LookalikeError("-k must be at least 1")
    embedder = _load_folder_model(args)
    # The query first: a bad one fails in a second, not after the whole folder is embedded.
    qvec = None if args.query is None else embed_query(embedder, args.query)
    result = _embed_folder(args, embedder)
    rows: dict[str, tuple[Any, Any]]  # (rows, distances) per query
    if args.query is not None and qvec is not None:
        found = answer_for(result, args.query, qvec, args.k)
        rows = {str(args.query): (found.rows, found.distances)}
    else:
        every = np.arange(len(result))
        idx, dist = search_of(result).search(result.vectors, args.k, exclude_self=every)
        rows = {p: (idx[i], dist[i]) for i, p in enumerate(result.paths)}
    t = args.threshold if args.threshold is not None else embedder.manifest.default_threshold
    answer = {
        q: [
            {"path": result.paths[j], "distance": float(d), "match": bool(d < t)}
            for j, d in zip(i, ds, strict=True)
            if j >= 0
        ]
        for q, (i, ds) in rows.items()
    }
    if args.json:
        print_json(_base_json(result, embedder) | {"k": args.k, "threshold": t, "neighbours": answer})
    else:
        info(f"threshold {t:.4f}: a distance below it is a match")
        for q, items in answer.items():
            print(shown(q))
            for item in items:
                verdict = "MATCH   " if item["match"] else "no match"
                print(f"  {item['distance']:.4f}  {verdict}  {shown(item['path'])}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from lookalike.engine.index.reader import metrics_sample
    from lookalike.engine.metrics.evaluation import evaluate

    embedder = _load_folder_model(args)
    result = _embed_folder(args, embedder)
    vectors, labels, note = metrics_sample(result)
    if note:
        info(f"metrics {note}")
    report = evaluate(vectors, labels) | ({"sample": note} if note else {})
    if args.json:
        print_json(_base_json(result, embedder) | report)
    else:
        for key in (
            "precision_at_1",
            "r_precision",
            "mean_average_precision_at_r",
            "roc_auc",
            "eer",
        ):
            print(f"{key:30s} {report[key]:.4f}")
        for far, val in report["val_at_far"].items():
            print(f"{'VAL@FAR=' + far:30s} {val:.4f}")
        print(f"{'best threshold':30s} {report['best_threshold']:.4f}")
        print(f"{report['n_images']} images, {report['n_classes']} classes")
        if report["n_queries"] < report["query_population"]:
            print(
                f"retrieval scores on a seeded sample of {report['n_queries']:,} of "
                f"{report['query_population']:,} queries: each within ±{report['error_95']:.4f} (95 %)"
            )
    return 0


def _map(args: argparse.Namespace) -> int:
    from lookalike.engine.map.figure import map_figure, map_html
    from lookalike.engine.map.projection import tsne_2d

    check_output_path(
        args.html,
        reads=[args.folder],
        suffixes=[".html", ".htm"],
        flag="--html",
        force=args.force,
        is_ours=is_lookalike_html,
    )
    embedder = _load_folder_model(args)
    result = _embed_folder(args, embedder)
    proj = tsne_2d(result.vectors, progress=progress_printer("t-SNE"))
    fig = map_figure(proj, result.paths, result.labels, title=f"t-SNE map of {args.folder.name}")
    page = map_html(fig).encode("utf-8", "surrogateescape")
    write_output(args.html, lambda fh: fh.write(page), "--html")
    info(f"wrote {shown(str(args.html))}" + (" (random sample of the images)" if proj.subsampled else ""))
    if args.json:
        print_json(_base_json(result, embedder) | {"html": str(args.html), "mapped": len(proj.indices)})
    return 0


def distance_threshold(text: str) -> float:
    """argparse type: a distance between unit vectors, so a finite number from 0 to 2."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= MAX_DISTANCE:  # also false for NaN
        raise argparse.ArgumentTypeError(
            f"{text!r}: distances between unit vectors lie from 0 to {MAX_DISTANCE:g}"
        )
    return value
