"""`lookalike cache --info | --clear`: where the embedding cache is, how big, and emptying it."""

from __future__ import annotations

import argparse

from lookalike.cli.output import info, print_json, shown
from lookalike.engine.folder.cache import default_cache_dir
from lookalike.engine.folder.cache_housekeeping import MAX_MB_VARIABLE, cache_info, clear_cache


def register_cache_command(sub: argparse._SubParsersAction) -> None:
    """Add `cache` to the `lookalike` parser."""
    p = sub.add_parser("cache", help="show or clear the embedding cache", description=_cache_command.__doc__)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--info", action="store_true", help="where it is, how many files, how big")
    group.add_argument("--clear", action="store_true", help="remove every cached embedding")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=_cache_command)


def _cache_command(args: argparse.Namespace) -> int:
    """Show where the embedding cache is and how big (--info), or empty it (--clear)."""
    directory = default_cache_dir()
    if args.clear:
        removed = clear_cache(directory)
        info(f"removed {removed} cache file(s) from {shown(str(directory))}")
    report = cache_info(directory)
    if args.json:
        print_json(
            {
                "directory": str(report.directory),
                "files": report.files,
                "bytes": report.total_bytes,
                "max_bytes": report.max_bytes,
            }
        )
    elif args.info:
        print(f"cache folder   {shown(str(report.directory))}")
        print(f"files          {report.files}")
        print(
            f"size           {report.total_bytes / 2**20:.1f} MiB of {report.max_bytes / 2**20:.0f} MiB "
            f"(least recently used files are removed above; {MAX_MB_VARIABLE} sets the cap)"
        )
    return 0
