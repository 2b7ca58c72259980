"""`make bench`: every benchmark of issue 6 in sequence, each in its own process, then every figure.

Each benchmark also runs alone (`python -m bench.folder.folder_embedding`, …) and writes
bench/results/<name>.md; this prints them all again at the end as one summary.
`--quick` runs small sizes (a smoke test of the whole suite in a few minutes, figures not comparable).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.common import RESULTS, machine_line

FULL: list[tuple[str, str, list[str]]] = [  # (room: bench's sub-package, name, flags)
    ("folder", "folder_embedding", []),
    ("folder", "rescan", []),
    ("search", "neighbours", []),
    ("app", "tsne_map", []),
    ("app", "gui_responsiveness", []),
    ("folder", "gpu", []),
    ("duplicates", "duplicate_grouping", []),
    ("model", "threshold_precision", []),
]
QUICK: dict[str, list[str]] = {
    "folder_embedding": ["--images", "300", "--rounds", "1"],
    "rescan": ["--images", "300", "--repeats", "1"],
    "neighbours": ["--sizes", "5000", "--rounds", "1"],
    "tsne_map": ["--sizes", "1000", "--no-before"],
    "gui_responsiveness": ["--images", "500", "--slider-images", "2000", "--launches", "1"],
    "gpu": ["--images", "300", "--rounds", "1"],
    "duplicate_grouping": ["--sets", "flags"],
    "threshold_precision": [],
}


def main(argv: list[str] | None = None) -> int:
    """Run them all; a failing benchmark is reported and the others still run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not results")
    parser.add_argument("--only", nargs="+", choices=[name for _, name, _ in FULL], help="run just these")
    args = parser.parse_args(argv)
    print(f"Lookalike benchmarks — {machine_line()}", flush=True)
    failed: list[str] = []
    done: list[str] = []
    for room, name, extra in FULL:
        if args.only and name not in args.only:
            continue
        flags = QUICK[name] if args.quick else extra
        print(f"\n=== {name} {' '.join(flags)}".rstrip(), flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"bench.{room}.{name}", *flags])
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"=== {name}: {status} in {time.perf_counter() - start:.0f} s", flush=True)
        (done if code == 0 else failed).append(name)
    print("\n\n######## Summary: every figure ########", flush=True)
    for name in done:
        print("\n" + (RESULTS / f"{name}.md").read_text(encoding="utf-8"), flush=True)
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
