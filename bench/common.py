"""What every benchmark shares: the machine line, timing, and a report printed and saved as markdown."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

RESULTS = Path(__file__).resolve().parent / "results"
T = TypeVar("T")


def cpu_model() -> str:
    """The `lscpu` model name (the processor table row of the README)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def machine_line() -> str:
    """Machine, cores, date and load: absolute times only mean something next to this line."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"{cpu_model()}, {os.cpu_count()} cores, {when}, load average {load}"


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """(wall seconds, result) of one call."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def lookalike_command() -> list[str]:
    """The installed `lookalike` beside this Python, else the module: how a user starts the CLI."""
    exe = Path(sys.executable).with_name("lookalike")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "lookalike.cli.main"]


def verdict(ok: bool) -> str:
    """The goal column: met or not, in words a reader cannot misread."""
    return "**met**" if ok else "**NOT met**"


class Report:
    """Lines printed as they are measured and saved to bench/results/<name>.md at the end."""

    def __init__(self, name: str, title: str) -> None:
        self.name = name
        self.lines: list[str] = []
        self.add(f"# {title}", "", f"Machine: {machine_line()}", "")

    def add(self, *lines: str) -> None:
        """Print and keep lines of markdown."""
        for line in lines:
            print(line, flush=True)
            self.lines.append(line)

    def table(self, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
        """A markdown table."""
        self.add("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        self.add(*("| " + " | ".join(row) + " |" for row in rows))
        self.add("")

    def save(self) -> Path:
        """Write the report; results are markdown so the README can point at them."""
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.name}.md"
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        print(f"(saved to {path.relative_to(RESULTS.parent.parent)})", flush=True)
        return path
