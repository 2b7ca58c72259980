"""Issue 6, item 6: the pipeline on ONNX Runtime's CUDA provider vs torch on the same GPU.

Runs only where a CUDA GPU is usable by both ONNX Runtime and torch; elsewhere it says so and
measures nothing. End to end with the app's decode workers: embed_folder with device="cuda"
(the provider really used must be CUDA, or the run fails) against the same feeding with the torch
network on the GPU.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import numpy as np

from bench.common import Report, timed
from bench.folder.bench_model import bench_model
from bench.folder.folder_embedding import TorchTwin, pipeline
from bench.folder.photo_folder import bench_dir, ensure_photo_folder


def gpu_available() -> str | None:
    """None when both ONNX Runtime and torch can use CUDA here, else why not."""
    from lookalike.engine.model.onnx_runtime import import_onnxruntime

    ort = import_onnxruntime()
    import torch

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return "ONNX Runtime has no CUDA provider here"
    if not torch.cuda.is_available():
        return "torch sees no CUDA device (no GPU on this machine)"
    return None


class CudaTorchTwin(TorchTwin):
    """The torch network on the GPU, fed like the engine."""

    def embed_batch(self, batch: np.ndarray) -> np.ndarray:
        """Same normalisation, forward on CUDA."""
        import torch
        from lookalike.engine.images.preprocessing import normalize

        x = torch.from_numpy(normalize(batch, self.manifest.preprocessing)).cuda(non_blocking=True)
        with torch.inference_mode():
            return np.asarray(self.net(x).float().cpu().numpy())


def run(images: int, rounds: int) -> Report:
    """Measure where possible; always return a report that says what happened."""
    rep = Report("gpu", "GPU: ONNX Runtime CUDA provider vs torch on the same GPU")
    why = gpu_available()
    if why is not None:
        rep.add(f"Not measured: {why}. No GPU machine was lent to the session that ran this.", "")
        return rep
    from lookalike.engine.model.embedder import Embedder

    folder = ensure_photo_folder(images)
    bm = bench_model(bench_dir() / "models")
    embedder = Embedder(bm.onnx_path, device="cuda")
    if embedder.provider != "CUDA":
        raise SystemExit(f"ONNX Runtime runs on {embedder.provider}, not CUDA")
    twin: Any = CudaTorchTwin(embedder, bm.torch_model.cuda())
    ort_t, torch_t = [], []
    for _ in range(rounds):
        ort_t.append(timed(lambda: pipeline(folder, embedder))[0])
        torch_t.append(timed(lambda: pipeline(folder, twin))[0])
    o, t = statistics.median(ort_t), statistics.median(torch_t)
    rep.table(
        ("run", "img/s (median)", "provider"),
        [
            ("pipeline, ONNX Runtime", f"{images / o:.0f}", embedder.provider),
            ("torch", f"{images / t:.0f}", "cuda"),
        ],
    )
    rep.add(f"- ONNX Runtime pipeline / torch pipeline on the GPU: {t / o:.2f}", "")
    return rep


def main(argv: list[str] | None = None) -> None:
    """Command line: sizes by flag, defaults as in the README."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    run(args.images, args.rounds).save()


if __name__ == "__main__":
    main()
