"""`lookalike explain A B --out overlay.png [--json]`: which regions hold a pair together."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

from lookalike.cli.output import info, print_json, progress_printer
from lookalike.engine.explain.heat_overlay import overlay, side_by_side
from lookalike.engine.explain.occlusion import explain_pair, hot_box
from lookalike.engine.io.output_paths import check_output_path, write_output
from lookalike.engine.search.image_query import load_query_image

SOFTWARE = "lookalike explain"  # PNG text tag: lets --out replace our own earlier picture


def register_explain(sub: argparse._SubParsersAction, add: Any) -> None:
    """Add the explain subcommand (`add` is cli_commands' helper for the shared options)."""
    p = add(sub, "explain", "occlusion heat maps: which regions drive a pair's distance", _explain)
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument("--out", type=Path, required=True, help="side-by-side overlay picture (PNG)")
    p.add_argument("--opacity", type=float, default=0.55, help="heat map opacity 0..1 (default 0.55)")
    p.add_argument("--force", action="store_true", help="replace an existing --out file that is not ours")


def _explain(args: argparse.Namespace) -> int:
    from lookalike.cli.commands import _open_model

    check_output_path(
        args.out,
        reads=[args.a, args.b],
        suffixes=[".png"],
        flag="--out",
        force=args.force,
        is_ours=is_our_png,
    )
    embedder = _open_model(args)
    img_a, img_b = load_query_image(embedder, args.a), load_query_image(embedder, args.b)
    result = explain_pair(embedder, img_a, img_b, progress=progress_printer("explaining"))
    picture = side_by_side(
        overlay(img_a, result.heat_a, args.opacity), overlay(img_b, result.heat_b, args.opacity)
    )
    tags = PngImagePlugin.PngInfo()
    tags.add_text("Software", SOFTWARE)
    write_output(args.out, lambda fh: picture.save(fh, format="PNG", pnginfo=tags), "--out")
    info(f"wrote {args.out}")
    if args.json:
        print_json(
            {
                "distance": result.distance,
                "out": str(args.out),
                "hot_box_a": hot_box(result.heat_a),
                "hot_box_b": hot_box(result.heat_b),
                "provider": embedder.provider,
            }
        )
    else:
        print(f"distance {result.distance:.4f}; overlay in {args.out}")
    return 0


def is_our_png(path: Path) -> bool:
    """A picture an earlier `lookalike explain` wrote (its PNG Software tag)."""
    try:
        with Image.open(path) as img:
            return bool(img.format == "PNG" and img.info.get("Software") == SOFTWARE)
    except Exception:
        return False
