"""Runs a Lookalike ONNX embedder through ONNX Runtime and says which provider really runs it."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from lookalike.engine.errors import ManifestError, ModelError, first_line
from lookalike.engine.folder.cpu_split import inference_threads
from lookalike.engine.images.loading import load_prepared
from lookalike.engine.images.preprocessing import fit_to_input, normalize
from lookalike.engine.model.manifest import ModelManifest, manifest_from_metadata
from lookalike.engine.model.model_bytes import ModelBytes, read_model
from lookalike.engine.model.onnx_runtime import import_onnxruntime
from PIL import Image

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
MIN_NORM = 1e-12  # below this a row has no direction to normalise: the model gave it nothing
_PROVIDER_NAMES = {"CUDAExecutionProvider": "CUDA", "CPUExecutionProvider": "CPU"}


def file_sha256(path: Path) -> str:
    """Content hash of a model file: the cache key, so a retrained model never reuses old vectors."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Embedder:
    """An ONNX Runtime session plus the manifest that says how to feed it."""

    def __init__(self, model_path: str | os.PathLike[str], device: str = "auto") -> None:
        if device not in DEVICES:
            raise ModelError(f"device must be one of {', '.join(DEVICES)}, not {device!r}")
        self.path = Path(model_path)
        loaded = read_model(self.path)  # hashed and loaded from the same bytes, read once
        self.sha256 = loaded.sha256
        self.session, self.manifest = _open_session(loaded, device)
        self.provider = _PROVIDER_NAMES.get(self.session.get_providers()[0], "CPU")
        if device == "cuda" and self.provider != "CUDA":
            raise ModelError("CUDA was asked for but ONNX Runtime cannot run on a GPU here")
        self.input_name = self.session.get_inputs()[0].name
        _check_graph(self.session, self.manifest)
        self._probe()
        log.info("model %s runs on %s", self.path.name, self.provider)

    @property
    def dim(self) -> int:
        """Embedding size, from the manifest (checked against the graph)."""
        return self.manifest.embedding_dim

    def prepare(self, img: Image.Image) -> np.ndarray:
        """RGB image → uint8 HWC at the model's input size (the part worth doing in workers)."""
        return fit_to_input(img, self.manifest.preprocessing)

    def embed_batch(self, batch: np.ndarray) -> np.ndarray:
        """uint8 NHWC from `prepare` → L2-normalised float32 (N, dim); ModelError when the model
        gives any image no usable vector (embed_rows skips those rows instead)."""
        vectors, reasons = self.embed_rows(batch)
        bad = next((r for r in reasons if r), "")
        if bad:
            raise ModelError(f"the model {bad}")
        return vectors

    def embed_rows(self, batch: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Like embed_batch, but a row the model gives NaN, infinity or a zero vector for gets a
        reason ("" for good rows) and a zero vector, so one bad image never fails the others."""
        if len(batch) == 0:
            return np.zeros((0, self.dim), dtype=np.float32), []
        x = normalize(batch, self.manifest.preprocessing)
        out = self.session.run(None, {self.input_name: x})[0]
        return _check_output(np.asarray(out), len(batch), self.dim)

    def embed_image(self, img: Image.Image) -> np.ndarray:
        """One decoded image → its embedding (dim,)."""
        return self.embed_batch(self.prepare(img)[None])[0]

    def embed_file(self, path: str | os.PathLike[str]) -> np.ndarray:
        """One image file → its embedding; raises ImageLoadError for a file that cannot be read."""
        min_side = self.manifest.preprocessing.input_size
        vectors, reasons = self.embed_rows(load_prepared(path, self.prepare, min_side=min_side)[None])
        if reasons[0]:
            raise ModelError(f"{os.fspath(path)}: the model {reasons[0]}")  # name the file asked about
        return vectors[0]

    def _probe(self) -> None:
        """Run one blank image now, so a model that emits NaN or the wrong shape fails at load."""
        size = self.manifest.preprocessing.input_size
        try:
            self.embed_batch(np.full((2, size, size, 3), 128, dtype=np.uint8))
        except ModelError as exc:
            raise ModelError(f"the model fails a test run: {exc}") from exc
        except Exception as exc:
            raise ModelError(f"the model fails a test run: {first_line(exc)}") from exc


def _open_session(loaded: ModelBytes, device: str) -> tuple[Any, ModelManifest]:
    """Create the session quietly (ORT logs CUDA load failures as errors) and read the manifest."""
    ort = import_onnxruntime()

    ort.set_default_logger_severity(3 if log.isEnabledFor(logging.DEBUG) else 4)
    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Decoders share the CPU with inference: a few threads that sleep, not spin, between batches.
    options.intra_op_num_threads = inference_threads()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    wanted = ["CPUExecutionProvider"]
    if device != "cpu" and "CUDAExecutionProvider" in ort.get_available_providers():
        wanted = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    try:
        with tempfile.TemporaryDirectory(prefix="lookalike-no-external-") as nowhere:
            # Every external file comes from memory; any reference the scan missed fails here
            # (an empty folder) instead of being read from disk a second time.
            options.add_session_config_entry("session.model_external_initializers_file_folder_path", nowhere)
            if loaded.external:
                names = list(loaded.external)
                buffers = [loaded.external[n] for n in names]
                options.add_external_initializers_from_files_in_memory(
                    names, buffers, [len(b) for b in buffers]
                )
            session = ort.InferenceSession(loaded.model, sess_options=options, providers=wanted)
    except Exception as exc:
        raise ModelError(f"not a loadable ONNX model: {first_line(exc)}") from exc
    meta = session.get_modelmeta().custom_metadata_map
    try:
        manifest = manifest_from_metadata(dict(meta))
    except ManifestError as exc:
        raise ModelError(str(exc)) from exc
    return session, manifest


def _check_graph(session: Any, manifest: ModelManifest) -> None:
    """Refuse graphs that are not image embedders, or that disagree with their manifest."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        raise ModelError(f"an embedder takes one input, this model takes {len(inputs)}")
    shape = inputs[0].shape
    if len(shape) != 4:
        raise ModelError(f"the model's input must be NCHW images (rank 4), not rank {len(shape)}")
    size = manifest.preprocessing.input_size
    for axis, want in ((1, 3), (2, size), (3, size)):
        got = shape[axis]
        if isinstance(got, int) and got != want:
            raise ModelError(
                f"the manifest says input {3}x{size}x{size} but the graph wants "
                f"{shape[1]}x{shape[2]}x{shape[3]}"
            )
    if "float" not in inputs[0].type:
        raise ModelError(f"the model's input must be float, not {inputs[0].type}")
    out_shape = outputs[0].shape
    if len(out_shape) != 2:
        raise ModelError(f"the model's output must be (batch, dim), not rank {len(out_shape)}")
    if isinstance(out_shape[1], int) and out_shape[1] != manifest.embedding_dim:
        raise ModelError(
            f"the manifest says embedding size {manifest.embedding_dim} but the graph outputs {out_shape[1]}"
        )
    if "float" not in outputs[0].type:
        raise ModelError(f"the model's output must be float, not {outputs[0].type}")


def _check_output(out: np.ndarray, n: int, dim: int) -> tuple[np.ndarray, list[str]]:
    """Shape and dtype check (a wrong one fails the model), then per row: finite and non-zero, or a
    reason; good rows are L2-normalised (the distance assumes unit vectors), bad ones zeroed.

    A zero vector has no direction: normalised it stays zero, at distance 1.0 from everything
    in float64 but 0.0 from every other zero row, so two unrelated images would be a MATCH."""
    if out.ndim != 2 or out.shape != (n, dim):
        raise ModelError(f"the model returned shape {out.shape}, expected ({n}, {dim})")
    if not np.issubdtype(out.dtype, np.floating):
        raise ModelError(f"the model returned {out.dtype}, expected float")
    out = np.array(out, dtype=np.float32)
    finite = np.isfinite(out).all(axis=1)
    out[~finite] = 0.0
    norms = np.linalg.norm(out.astype(np.float64), axis=1)
    zero = finite & (norms < MIN_NORM)
    reasons = [
        "returned NaN or infinite values for this image"
        if not f
        else "returned a zero vector for this image"
        if z
        else ""
        for f, z in zip(finite.tolist(), zero.tolist(), strict=True)
    ]
    good = finite & ~zero
    out[good] /= norms[good, None].astype(np.float32)
    out[~good] = 0.0
    return out, reasons
