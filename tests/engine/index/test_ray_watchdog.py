"""The watchdog that stops a local Ray cluster's processes when `lookalike index` is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from lookalike.engine.index.ray_watchdog import descendants, start_time, start_watchdog, supported, watch

pytestmark = pytest.mark.skipif(not supported(), reason="the watchdog reads /proc (Linux)")

# A stand-in driver: starts a long-lived child (as ray.init starts the raylet) and waits.
DRIVER = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(120)\n"
)


def _gone_within(pid: int, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if start_time(pid) is None:
            return True
        time.sleep(0.1)
    return False


def _driver() -> tuple[subprocess.Popen[str], int]:
    driver = subprocess.Popen([sys.executable, "-c", DRIVER], stdout=subprocess.PIPE, text=True)
    assert driver.stdout is not None
    with driver.stdout:
        return driver, int(driver.stdout.readline())


def test_kill_9_of_the_driver_takes_its_cluster_processes_down() -> None:
    driver, child = _driver()
    assert child in descendants([driver.pid])
    dog = start_watchdog(driver.pid, [child])
    assert dog is not None
    try:
        time.sleep(0.3)
        assert start_time(child) is not None  # nothing is killed while the driver lives
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        assert _gone_within(child, 10), "the cluster process outlived its driver"
        assert dog.wait(timeout=10) == 0
    finally:
        for pid in (child,):
            if start_time(pid) is not None:
                os.kill(pid, signal.SIGKILL)


def test_a_reused_pid_is_never_killed() -> None:
    driver, child = _driver()
    try:
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        born = start_time(child)
        assert born is not None
        assert watch(driver.pid, {child: born + 1}) == 0  # same PID, another start time
        assert start_time(child) is not None
    finally:
        os.kill(child, signal.SIGKILL)


def test_the_watchdog_leaves_when_the_cluster_shuts_down_normally() -> None:
    driver, child = _driver()
    dog = start_watchdog(driver.pid, [child])
    assert dog is not None
    try:
        os.kill(child, signal.SIGKILL)  # as ray.shutdown stops its processes
        assert dog.wait(timeout=10) == 0
        assert start_time(driver.pid) is not None  # and the driver was left alone
    finally:
        driver.kill()
        driver.wait()
