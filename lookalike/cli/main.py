"""The `lookalike` command: engine subcommands here, gui/train ones added through entry points.

Entry points (group `lookalike.commands`) let gui/ and train/ register their subcommands without
engine/ importing them; with no subcommand, `lookalike` opens the app.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import NoReturn

from lookalike.cli.commands import register_engine_commands
from lookalike.engine import __version__
from lookalike.engine.errors import LookalikeError
from lookalike.engine.folder.interrupts import JobInterruptedError

log = logging.getLogger("lookalike")

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one stderr line (like every other error) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print `lookalike: error: ...` with a pointer to --help, instead of the usage block."""
        message = message if message.isprintable() else repr(message)[1:-1]
        self.exit(EXIT_USAGE, f"lookalike: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, including subcommands other packages register."""
    parser = OneLineParser(
        prog="lookalike",
        description="Image similarity explorer: embed, compare, neighbours, evaluate, map, train.",
    )
    parser.add_argument("--version", action="version", version=f"lookalike {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
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
    message = " ".join(message.splitlines())  # one line, whatever the message carried
    print(f"lookalike: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, dispatch, and turn every error into one clear stderr line and exit code 2."""
    _escape_unprintable_output()
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
    except JobInterruptedError as exc:
        print(f"\nlookalike: {exc}" if sys.stderr.isatty() else f"lookalike: {exc}", file=sys.stderr)
        return exc.exit_code
    except LookalikeError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("lookalike: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except OSError as exc:  # the disk, the network share or the permissions said no
        where = f" ({exc.filename})" if exc.filename else ""
        return _fail(f"{exc.strerror or exc}{where}")
    except Exception as exc:  # a bug: still one line for the user, the traceback with -v
        log.debug("unexpected error", exc_info=True)
        return _fail(
            f"unexpected {type(exc).__name__}: {_one_line(exc)} (please report it; -v shows details)"
        )


def _escape_unprintable_output() -> None:
    """File names with undecodable bytes (surrogates) print as \\udcXX instead of crashing print()."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _quiet_broken_pipe() -> int:
    """`lookalike ... | head` closed our stdout: not an error worth a message."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] if text.isprintable() else repr(text[:300])[1:-1]


if __name__ == "__main__":
    sys.exit(main())
