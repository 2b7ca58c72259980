"""The Ray Data pipeline of `lookalike index`: decode with the engine's loader, embed in an actor pool.

Decoding is `load_image` + `fit_to_input`, the code the app runs on a folder; each actor holds one
`Embedder` (one ONNX Runtime session, CUDA where its worker has a GPU) and says which provider it
got. A file that cannot be read comes out as a row with an `error`, never as a failed task. Ray is
imported inside functions: it is the optional `[cluster]` extra.
"""

from __future__ import annotations

import logging
import os
import socket
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.errors import ImageLoadError, ModelError
from lookalike.engine.images.loading import load_image
from lookalike.engine.images.preprocessing import Preprocessing, fit_to_input
from lookalike.engine.index.cluster_extra import require
from lookalike.engine.index.ray_watchdog import guard_local_cluster

BLOCK_ROWS = 256  # rows per Ray block: small enough to spread 1k images over 2 workers


@dataclass(frozen=True)
class RayJob:
    """Where and how to run: cluster address ('local' starts one here), actors, model, batch."""

    address: str
    workers: int
    model_path: str
    model_sha256: str
    preprocessing: Preprocessing
    dim: int
    batch_size: int = 32


def connect(address: str, cpus: int) -> None:
    """Join a cluster (or start a local one with `cpus` logical CPUs) unless already connected."""
    ray = require("ray")
    if ray.is_initialized():
        return
    options: dict[str, Any] = {
        "log_to_driver": False,
        "runtime_env": _runtime_env(),
        "logging_level": "ERROR",
    }
    if address == "local":
        ray.init(num_cpus=cpus, include_dashboard=False, **options)
        guard_local_cluster()  # its processes die with this one, even on kill -9
    else:
        ray.init(address=address, **options)


def _runtime_env() -> dict[str, Any]:
    """Workers import this very copy of `lookalike` when it is a checkout, not an installed package."""
    import lookalike

    root = Path(lookalike.__file__).parent.parent
    if "site-packages" in root.parts or "dist-packages" in root.parts:
        return {}
    paths = [str(root), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(paths)}}


def embed_rows(items: list[dict[str, Any]], job: RayJob) -> Iterator[dict[str, np.ndarray]]:
    """Yield blocks of rows with `vector`, `error` and `worker` columns added, as Ray finishes them."""
    ray = require("ray")
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # our own progress line says enough
    ctx.print_on_execution_start = False
    # At least a few blocks per actor, or one actor gets everything and the others idle.
    blocks = max(-(-len(items) // BLOCK_ROWS), min(len(items), 4 * job.workers), 1)
    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    ds = ray.data.from_items(items, override_num_blocks=blocks)
    ds = ds.map_batches(
        decode_batch, batch_size=job.batch_size, fn_kwargs={"prep": job.preprocessing}, batch_format="numpy"
    )
    with warnings.catch_warnings():  # max_restarts has no named parameter yet (Ray 2.60)
        warnings.filterwarnings(
            "ignore", message="`ray_remote_args` is deprecated", category=DeprecationWarning
        )
        ds = ds.map_batches(
            EmbedActor,
            batch_size=job.batch_size,
            batch_format="numpy",
            fn_constructor_kwargs={"model_path": job.model_path, "model_sha256": job.model_sha256},
            compute=ray.data.ActorPoolStrategy(size=min(job.workers, blocks)),
            num_gpus=gpus,
            **restart_args(job.address),
        )
    yield from ds.iter_batches(batch_size=None, batch_format="numpy")


def restart_args(address: str) -> dict[str, Any]:
    """Actor restarts only where a node can be lost: on a cluster. On the local one-machine cluster
    a restart cannot help (the node is this process's machine), and Ray logs an error-level line for
    every restartable actor whose constructor arguments sit in the object store (ray#53727)."""
    return {"max_restarts": 0} if address == "local" else {}


def decode_batch(batch: dict[str, np.ndarray], prep: Preprocessing) -> dict[str, np.ndarray]:
    """Paths → uint8 NHWC pixels with the app's loader; a bad file gets a blank image and its reason."""
    size = prep.input_size
    pixels = np.zeros((len(batch["path"]), size, size, 3), np.uint8)
    errors: list[str] = []
    for i, path in enumerate(batch["path"]):
        try:
            pixels[i] = fit_to_input(load_image(str(path), min_side=size), prep)
            errors.append("")
        except ImageLoadError as exc:
            errors.append(str(exc) or "cannot be read")
    return {**batch, "pixels": pixels, "error": np.asarray(errors, dtype=object)}


class EmbedActor:
    """One ONNX Runtime session per actor, loaded once and reused for every batch it is given."""

    def __init__(self, model_path: str, model_sha256: str) -> None:
        from lookalike.engine.model.embedder import Embedder

        self.embedder = Embedder(model_path)
        if self.embedder.sha256 != model_sha256:
            raise ModelError(
                f"the model file {model_path} on {socket.gethostname()} differs from the driver's"
            )
        self.worker = f"{socket.gethostname()}:{os.getpid()} {self.embedder.provider}"

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Embed the rows that decoded; the others keep a zero vector and their error."""
        pixels = batch.pop("pixels")
        ok = np.asarray([not e for e in batch["error"]], bool)
        vectors = np.zeros((len(ok), self.embedder.dim), np.float32)
        errors = list(batch["error"])
        if ok.any():
            where = np.flatnonzero(ok)
            vectors[where], reasons = self.embedder.embed_rows(pixels[where])
            for i, why in zip(where.tolist(), reasons, strict=True):
                errors[i] = f"the model {why}" if why else errors[i]  # skipped, the others kept
        worker = np.asarray([self.worker] * len(ok), dtype=object)
        return {**batch, "error": np.asarray(errors, dtype=object), "vector": vectors, "worker": worker}
