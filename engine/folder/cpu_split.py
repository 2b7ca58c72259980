"""How a folder scan splits the CPU cores between JPEG decoding and CPU inference.

Both are CPU-bound on a machine without a GPU, and decoding a photo costs about three times what
the default model's inference does (bench/README.md), so decoding gets most cores. ONNX Runtime's
threads must not spin-wait between batches: spinning burns the cores the decoders need
(measured: −19 % CPU per image on 2 cores with spinning off).
"""

from __future__ import annotations

import os

MAX_DECODE_WORKERS = 32  # past this the GIL-held parts of decoding serialise the threads
MAX_INFERENCE_THREADS = 8  # a batch of 64 small images stops scaling about here


def cpu_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def inference_threads(cores: int | None = None) -> int:
    """ONNX Runtime intra-op threads on CPU: a quarter of the cores, at least one."""
    return max(1, min(MAX_INFERENCE_THREADS, (cores or cpu_cores()) // 4))


def decode_workers(cores: int | None = None) -> int:
    """Decode threads: the cores inference leaves free (Pillow releases the GIL), at least two."""
    n = cores or cpu_cores()
    return max(2, min(MAX_DECODE_WORKERS, n - inference_threads(n)))
