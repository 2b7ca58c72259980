"""The CPU split between decoders and ONNX Runtime, and that the embedder's session really uses it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lookalike.engine.folder.cpu_split import decode_workers, inference_threads
from lookalike.engine.model.embedder import Embedder


@pytest.mark.parametrize("cores", [1, 2, 3, 4, 6, 8, 16, 32, 64, 128])
def test_split_keeps_decoders_ahead_and_never_starves_either(cores: int) -> None:
    inf, dec = inference_threads(cores), decode_workers(cores)
    assert inf >= 1
    assert dec >= 2
    assert dec >= inf  # decoding costs ~3x inference per image
    assert inf + dec <= max(cores, 3)  # oversubscribe by at most one thread on tiny machines


def test_two_core_machine_gets_two_decoders_and_one_inference_thread() -> None:
    assert (decode_workers(2), inference_threads(2)) == (2, 1)


def test_cores_follow_the_affinity_mask() -> None:
    """A process pinned to one core (as by taskset or a container's cpuset) counts one core."""
    script = (
        "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
        "from lookalike.engine.folder.cpu_split import cpu_cores; print(cpu_cores())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "1"


def test_embedder_session_uses_the_split_and_does_not_spin(projection_model_path: Path) -> None:
    options = Embedder(projection_model_path, device="cpu").session.get_session_options()
    assert options.intra_op_num_threads == inference_threads()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
