"""The `lookalike gui [FOLDER] [--model M]` subcommand (registered through an entry point)."""

from __future__ import annotations

import argparse
import os
import sys
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
    problem = bad_paths(args.folder, args.model) or missing_screen(os.environ, sys.platform)
    if problem:
        print(f"lookalike: error: {problem}", file=sys.stderr)
        return 2
    from lookalike.gui.app import run_app

    return run_app(args.folder, args.model)


def bad_paths(folder: Path | None, model: Path | None) -> str | None:
    """A folder or model named on the command line that cannot be opened: say so before any window."""
    if folder is not None and not folder.is_dir():
        return f"{'not a folder' if folder.exists() else 'folder not found'}: {folder}"
    if model is not None and model.is_dir():
        return f"{model} is a folder, not a model file (give the .onnx file inside it)"
    if model is not None and not model.is_file():
        return f"model file not found: {model}"
    return None


def missing_screen(environ: Any, platform: str) -> str | None:
    """Say so clearly when Linux has no screen, instead of Qt's abort about the xcb plugin."""
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no screen to open the app on (DISPLAY and WAYLAND_DISPLAY are unset): run it on a desktop, "
        "under xvfb-run, or use the command-line subcommands (lookalike --help)"
    )
