"""`lookalike explain A B --out overlay.png [--json]`: which regions hold a pair together."""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from lookalike.engine.cli_output import info, print_json, progress_printer
from lookalike.engine.errors import ImageLoadError
from lookalike.engine.heat_overlay import overlay, side_by_side
from lookalike.engine.image_loading import load_image
from lookalike.engine.occlusion import explain_pair, hot_box


def register_explain(sub: argparse._SubParsersAction, add: object) -> None:
    """Add the explain subcommand (`add` is cli_commands' helper for the shared options)."""
    p = add(sub, "explain", "occlusion heat maps: which regions drive a pair's distance", _explain)  # type: ignore[operator]
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument("--out", type=Path, required=True, help="side-by-side overlay picture (PNG)")
    p.add_argument("--opacity", type=float, default=0.55, help="heat map opacity 0..1 (default 0.55)")


def _explain(args: argparse.Namespace) -> int:
    from lookalike.engine.cli_commands import _open_model

    embedder = _open_model(args)
    img_a, img_b = _load(args.a), _load(args.b)
    result = explain_pair(embedder, img_a, img_b, progress=progress_printer("explaining"))
    picture = side_by_side(
        overlay(img_a, result.heat_a, args.opacity), overlay(img_b, result.heat_b, args.opacity)
    )
    picture.save(args.out)
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


def _load(path: Path) -> Image.Image:
    """Decode one named image; the error names the file, since the command takes two."""
    try:
        return load_image(path)
    except ImageLoadError as exc:
        raise ImageLoadError(f"{path}: {exc}") from exc
