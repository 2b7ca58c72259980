"""The `lookalike` command: engine subcommands here, gui/train ones added through entry points.

Entry points (group `lookalike.commands`) let gui/ and train/ register their subcommands without
engine/ importing them; with no subcommand, `lookalike` opens the app.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from lookalike.engine import __version__
from lookalike.engine.cli_commands import register_engine_commands
from lookalike.engine.errors import LookalikeError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The full parser, including subcommands other packages register."""
    parser = argparse.ArgumentParser(
        prog="lookalike",
        description="Image similarity explorer: embed, compare, neighbours, evaluate, map, train.",
    )
    parser.add_argument("--version", action="version", version=f"lookalike {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register_engine_commands(sub)
    for ep in sorted(entry_points(group="lookalike.commands"), key=lambda e: e.name):
        try:
            ep.load()(sub)
        except ImportError as exc:  # e.g. train/ without torch installed
            _unavailable(sub, ep.name, exc)
    return parser


def _unavailable(sub: argparse._SubParsersAction, name: str, exc: ImportError) -> None:
    """Keep the subcommand visible but explain, when run, what is missing."""
    p = sub.add_parser(name, help=f"(unavailable: {exc.name or exc})", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    msg = f"'lookalike {name}' needs {exc.name or 'a missing package'}: {exc}"
    if name in ("train", "export"):
        msg += " (install the training extra: pip install -e '.[train]')"
    p.set_defaults(func=lambda args: _fail(msg))


def _fail(message: str) -> int:
    print(f"lookalike: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, dispatch, and turn every engine error into one clear stderr line and exit code 2."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not [a for a in args_list if not a.startswith("-")] and not {
        "-h",
        "--help",
        "--version",
    } & set(args_list):
        args_list = ["gui", *args_list]
    args = parser.parse_args(args_list)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args))
    except LookalikeError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("lookalike: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
