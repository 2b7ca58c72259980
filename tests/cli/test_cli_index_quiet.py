"""A normal `lookalike index` run on this machine prints its own lines only: no Ray error-level line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytest.importorskip("faiss")

pytestmark = pytest.mark.timeout(240)
REPO = Path(__file__).resolve().parents[2]
RAY_LOG_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d [\d:,]+ [EWF] \d+ \d+\]")  # Ray's C++ logger


def _index(tmp_path: Path, source: Path, *extra: str, timeout: int) -> subprocess.CompletedProcess[str]:
    """`lookalike index SOURCE --out IX` in a child process, with its own embedding cache."""
    env = dict(os.environ, LOOKALIKE_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(REPO))
    command = [
        sys.executable,
        "-m",
        "lookalike.cli.main",
        "index",
        str(source),
        "--out",
        str(tmp_path / "ix"),
    ]
    return subprocess.run(
        [*command, *extra], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_a_local_index_run_logs_no_ray_errors(tmp_path: Path, image_data: Path) -> None:
    source = tmp_path / "cards"
    for name in ("1_of_spades", "2_of_hearts"):
        shutil.copytree(image_data / "cards" / name, source / name)
    proc = _index(tmp_path, source, "--ray", "local", "--workers", "1", timeout=230)
    assert proc.returncode == 0, proc.stderr
    noise = [line for line in proc.stderr.splitlines() if RAY_LOG_LINE.match(line) or "Warning" in line]
    assert noise == []
    assert "embedded" in proc.stdout + proc.stderr


def test_the_default_one_actor_per_core_finishes(tmp_path: Path, image_data: Path) -> None:
    """Every logical CPU of the local cluster held by an embedding actor left none for the decode
    tasks: the run waited forever (it needs one CPU beyond the actors)."""
    source = tmp_path / "cards"
    shutil.copytree(image_data / "cards" / "1_of_spades", source / "1_of_spades")
    proc = _index(tmp_path, source, "--ray", "local", timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "10 embedded" in proc.stdout + proc.stderr
