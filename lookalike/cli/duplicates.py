"""`lookalike duplicates FOLDER`: the app's Duplicates view, headless (same groups, same proposal)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lookalike.cli.commands import _base_json, _embed_folder, _load_folder_model, distance_threshold
from lookalike.cli.output import info, print_json, progress_printer, shown
from lookalike.engine.duplicates.groups import DEFAULT_METHOD, METHODS
from lookalike.engine.duplicates.keep_rules import KEEP_RULES
from lookalike.engine.duplicates.listing import GROUP_COLUMNS, list_duplicates, listing_document, listing_rows
from lookalike.engine.duplicates.pixel_gate import PictureCheck
from lookalike.engine.errors import LookalikeError
from lookalike.engine.io.tabular import csv_text
from lookalike.engine.job_hooks import JobHooks


def add_duplicates_arguments(p: argparse.ArgumentParser) -> None:
    """Options of the subcommand (the parser itself comes from cli_commands, with --model/--json)."""
    p.add_argument("folder", type=Path)
    p.add_argument(
        "--threshold",
        type=distance_threshold,
        help="embedding distance below which two images may be duplicates, 0 to 2 (default: the model's "
        "near-copy calibration, not its match threshold)",
    )
    p.add_argument(
        "--picture-threshold",
        type=distance_threshold,
        help="picture-check distance, 0 to 2; 2 turns the check off (default: the model's calibration)",
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
    choice = embedder.manifest.duplicate_choice
    threshold = args.threshold if args.threshold is not None else choice.embedding
    picture = args.picture_threshold if args.picture_threshold is not None else choice.picture
    picture = None if picture is not None and picture >= 2.0 else picture
    hooks = JobHooks(progress_printer("duplicates: picture check"))
    check = None if picture is None else PictureCheck(picture, choice.gate)
    listing = list_duplicates(
        result, threshold, rule=args.keep, method=args.method, hooks=hooks, picture=check
    )
    assert listing is not None  # never cancelled here
    gate = listing.pixel_gate
    said = f", picture check {picture:.4f}" if picture is not None else ", no picture check"
    said += f" after pixel gate {gate:.4f}" if gate is not None else ""
    info(f"{len(listing.groups)} group(s) at embedding threshold {threshold:.4f}{said} ({choice.label})")
    if args.json:
        source = {
            "duplicate_thresholds_source": choice.label,
            "picture_threshold": picture,
            "pixel_gate": gate,
        }
        print_json(_base_json(result, embedder) | listing_document(listing) | source)
    elif args.csv:
        sys.stdout.write(csv_text(GROUP_COLUMNS, listing_rows(listing)))  # the app's CSV writer
    else:
        for n, group in enumerate(listing.groups, start=1):
            print(f"group {n} ({len(group.files)} images)")
            for i, f in enumerate(group.files):
                mark = {"keep": "keep", "move": "    ", "link": "link", "linked": "kept"}[group.role(i)]
                link = f"  -> {shown(f.link_to)}" if f.link_to is not None else ""
                facts = f"{f.width}x{f.height}  {f.bytes:,} B  {f.modified_iso}"
                print(f"  {mark}  {shown(f.rel_path)}  {facts}{link}")
    return 0
