"""`lookalike duplicates FOLDER`: the app's Duplicates view, headless (same groups, same proposal)."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from lookalike.cli.commands import _base_json, _embed_folder, _load_folder_model, distance_threshold
from lookalike.cli.output import info, print_json, shown
from lookalike.engine.duplicates.groups import DEFAULT_METHOD, METHODS
from lookalike.engine.duplicates.keep_rules import KEEP_RULES
from lookalike.engine.duplicates.listing import GROUP_COLUMNS, list_duplicates, listing_document, listing_rows
from lookalike.engine.errors import LookalikeError


def add_duplicates_arguments(p: argparse.ArgumentParser) -> None:
    """Options of the subcommand (the parser itself comes from cli_commands, with --model/--json)."""
    p.add_argument("folder", type=Path)
    p.add_argument(
        "--threshold", type=distance_threshold, help="match below this distance, 0 to 2 (default: model's)"
    )
    p.add_argument("--keep", choices=KEEP_RULES, default="largest", help="which image to propose to keep")
    p.add_argument("--method", choices=METHODS, default=DEFAULT_METHOD, help=argparse.SUPPRESS)
    p.add_argument("--csv", action="store_true", help="print one CSV row per grouped image")


def run_duplicates(args: argparse.Namespace) -> int:
    """List the groups; nothing is moved (moving is the app's, with confirmation and undo)."""
    if args.json and args.csv:
        raise LookalikeError("choose one of --json and --csv")
    embedder = _load_folder_model(args)
    result = _embed_folder(args, embedder)
    threshold = args.threshold if args.threshold is not None else embedder.manifest.default_threshold
    listing = list_duplicates(result, threshold, rule=args.keep, method=args.method)
    assert listing is not None  # never cancelled here
    info(f"{len(listing.groups)} group(s) at threshold {threshold:.4f}")
    if args.json:
        print_json(_base_json(result, embedder) | listing_document(listing))
    elif args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(GROUP_COLUMNS)
        writer.writerows(listing_rows(listing))
    else:
        for n, group in enumerate(listing.groups, start=1):
            print(f"group {n} ({len(group.files)} images)")
            for i, f in enumerate(group.files):
                mark = {"keep": "keep", "move": "    ", "link": "link", "linked": "kept"}[group.role(i)]
                link = f"  -> {shown(f.link_to)}" if f.link_to is not None else ""
                facts = f"{f.width}x{f.height}  {f.bytes:,} B  {f.modified_iso}"
                print(f"  {mark}  {shown(f.rel_path)}  {facts}{link}")
    return 0
