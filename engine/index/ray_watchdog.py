"""Stop a local Ray cluster's processes when the `lookalike index` that started them dies.

`kill -9` of the driver leaves the raylet, GCS server and workers of a local cluster running for
70 s or more (Ray notices on its own timeouts), holding cores and memory after the user stopped
the command. At start the driver hands its Ray descendants to this watchdog, a separate small
process in its own session; when the driver's process is gone, the watchdog kills those processes
and everything below them, then exits. It never touches a process it was not given (each is
checked by its start time, so a reused PID is left alone), and it exits by itself once they are
all gone (a normal `ray.shutdown`). Linux only (it reads /proc); elsewhere it is not started.

    python -m lookalike.engine.index.ray_watchdog DRIVER_PID PID [PID ...]
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

POLL_S = 0.5
PROC = Path("/proc")


def supported() -> bool:
    """/proc-based process tracking is available (Linux)."""
    return sys.platform.startswith("linux") and PROC.is_dir()


def _stat(pid: int | str) -> list[str]:
    """/proc/PID/stat after the name (state first), or [] when the process is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return []
    return stat.rsplit(")", 1)[-1].split()  # the name may hold spaces and parentheses


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks (field 22 of /proc/PID/stat); None when it is gone
    or a zombie (dead, waiting to be reaped)."""
    fields = _stat(pid)
    if len(fields) <= 19 or fields[0] == "Z":
        return None
    return int(fields[19])


def _parents() -> dict[int, int]:
    out: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat(entry.name)):
            out[int(entry.name)] = int(fields[1])
    return out


def descendants(roots: Iterable[int]) -> list[int]:
    """Every living process below the roots (not the roots themselves)."""
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found: list[int] = []
    todo = list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def watch(driver: int, tracked: dict[int, int]) -> int:
    """Wait for the driver to die, then kill the tracked processes (and theirs); how many killed."""
    while start_time(driver) is not None:
        if not any(start_time(pid) == born for pid, born in tracked.items()):
            return 0  # the cluster shut down normally
        time.sleep(POLL_S)
    alive = [pid for pid, born in tracked.items() if start_time(pid) == born]
    victims = alive + descendants(alive)
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
    return len(victims)


def start_watchdog(driver: int, pids: Sequence[int]) -> subprocess.Popen[bytes] | None:
    """Launch the watchdog for these Ray processes; None where it cannot work (not Linux, none)."""
    if not supported() or not pids:
        return None
    return subprocess.Popen(
        [sys.executable, "-m", "lookalike.engine.index.ray_watchdog", str(driver), *map(str, pids)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a terminal's Ctrl-C or a killed process group spares it
    )


def guard_local_cluster() -> subprocess.Popen[bytes] | None:
    """Hand this process's current descendants (the local Ray cluster just started) to a watchdog."""
    if not supported():
        return None
    return start_watchdog(os.getpid(), descendants([os.getpid()]))


def main(argv: Sequence[str]) -> int:
    """Entry point: DRIVER_PID PID..., each PID pinned to its start time now."""
    driver, *pids = (int(a) for a in argv)
    tracked = {pid: born for pid in pids if (born := start_time(pid)) is not None}
    watch(driver, tracked)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
