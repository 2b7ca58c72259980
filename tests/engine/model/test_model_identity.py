"""Issue 10, defect 2a/2b: a model's identity is the hash of exactly the bytes that were loaded."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import lookalike.engine.model.model_bytes as model_bytes
import numpy as np
import onnx
import pytest
from lookalike.engine.errors import ModelError
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.model.bundled import sample_folder
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.model.model_bytes import external_locations
from onnx.external_data_helper import convert_model_to_external_data

from tests.model_factory import projection_model


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    shutil.copytree(sample_folder() / "flag_de", root / "flag_de")
    return root


def _external(src: Path, dest: Path) -> Path:
    """The same model saved with its weights in a separate file beside it."""
    model = onnx.load(src)
    convert_model_to_external_data(
        model, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0
    )
    onnx.save(model, dest)
    return dest


def test_a_model_swapped_while_loading_never_fills_the_other_models_cache(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Model B replaces model A right after A's bytes are read: the cache name must say B."""
    a = projection_model(tmp_path / "a.onnx", input_size=24, dim=48, seed=1)
    b = projection_model(tmp_path / "b.onnx", input_size=24, dim=48, seed=2)
    path = tmp_path / "model.onnx"
    shutil.copyfile(a, path)
    real_read = model_bytes._read
    swapped = threading.Event()

    def read_then_swap(p: Path, what: str) -> bytes:
        data = real_read(p, what)
        if not swapped.is_set():
            swapped.set()
            shutil.copyfile(b, path)  # a writer replaces the file between hash and load
        return data

    monkeypatch.setattr(model_bytes, "_read", read_then_swap)
    embedder = Embedder(path, device="cpu")
    assert swapped.is_set()
    assert embedder.sha256 == hashlib.sha256(a.read_bytes()).hexdigest()
    result = embed_folder(folder, embedder, cache_dir=tmp_path / "cache")
    reference = Embedder(a, device="cpu")
    for i, rel in enumerate(result.paths):
        np.testing.assert_allclose(result.vectors[i], reference.embed_file(folder / rel), atol=1e-5)


def test_external_data_is_part_of_the_identity(tmp_path: Path, folder: Path) -> None:
    a = projection_model(tmp_path / "a.onnx", input_size=24, dim=48, seed=1)
    b = projection_model(tmp_path / "b.onnx", input_size=24, dim=48, seed=2)
    (tmp_path / "b_ext").mkdir()
    _external(b, tmp_path / "b_ext" / "model.onnx")
    (tmp_path / "run").mkdir()
    model = _external(a, tmp_path / "run" / "model.onnx")
    first = Embedder(model, device="cpu")
    cached = embed_folder(folder, first, cache_dir=tmp_path / "cache")
    assert set(external_locations(model.read_bytes())) == {"weights.bin"}
    shutil.copyfile(tmp_path / "b_ext" / "weights.bin", tmp_path / "run" / "weights.bin")
    second = Embedder(model, device="cpu")
    assert second.sha256 != first.sha256
    again = embed_folder(folder, second, cache_dir=tmp_path / "cache")
    assert again.n_cached == 0
    assert not np.allclose(again.vectors, cached.vectors, atol=1e-3)
    want = Embedder(b, device="cpu").embed_batch(_prepared(second, folder, again.paths))
    np.testing.assert_allclose(again.vectors, want, atol=1e-5)


def _prepared(embedder: Embedder, folder: Path, paths: list[str]) -> np.ndarray:
    from lookalike.engine.images.loading import load_image

    return np.stack([embedder.prepare(load_image(folder / p, min_side=24)) for p in paths])


def test_external_data_outside_the_models_folder_is_refused(tmp_path: Path) -> None:
    a = projection_model(tmp_path / "a.onnx", input_size=24, dim=48)
    (tmp_path / "run").mkdir()
    model = _external(a, tmp_path / "run" / "model.onnx")
    shutil.copyfile(tmp_path / "run" / "weights.bin", tmp_path / "secret.b")
    # onnx refuses to write a '..' location, so edit the bytes (same length: lengths stay valid)
    model.write_bytes(model.read_bytes().replace(b"weights.bin", b"../secret.b"))
    with pytest.raises(ModelError, match="outside the model's folder"):
        Embedder(model, device="cpu")


def test_external_file_missing_is_one_model_error(tmp_path: Path) -> None:
    a = projection_model(tmp_path / "a.onnx", input_size=24, dim=48)
    (tmp_path / "run").mkdir()
    model = _external(a, tmp_path / "run" / "model.onnx")
    (tmp_path / "run" / "weights.bin").unlink()
    with pytest.raises(ModelError, match="external data file not found"):
        Embedder(model, device="cpu")


def test_a_model_without_external_data_keeps_the_plain_file_hash(projection_model_path: Path) -> None:
    """Settings remembered per model (the GUI's thresholds) stay keyed by the file's own hash."""
    embedder = Embedder(projection_model_path, device="cpu")
    assert embedder.sha256 == hashlib.sha256(projection_model_path.read_bytes()).hexdigest()
