"""The `lookalike gui [FOLDER] [--model M]` subcommand (registered through an entry point)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `gui` subcommand to the `lookalike` parser."""
    p = subparsers.add_parser("gui", help="open the desktop app (default when no command is given)")
    p.add_argument("folder", nargs="?", type=Path, help="folder of images to open (default: bundled samples)")
    p.add_argument("--model", type=Path, default=None, help="ONNX model (default: the bundled model)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start the app; Qt is imported only now, so other commands stay fast."""
    from gui.app import run_app

    return run_app(args.folder, args.model)
