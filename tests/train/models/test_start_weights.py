"""Starting a hybrid run from a model file: at the start, the run's network *is* that model (same
embeddings as ONNX Runtime gives for the file), and files that cannot start it are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from lookalike.engine.errors import ModelError
from lookalike.engine.images.loading import load_image
from lookalike.engine.model.bundled import default_model_path, sample_folder
from lookalike.engine.model.embedder import Embedder
from lookalike.train.data.normalization import normalize_torch
from lookalike.train.models.hybrid import HybridEmbedder
from lookalike.train.models.start_weights import start_from


def _bundled_hybrid() -> tuple[Embedder, dict]:
    embedder = Embedder(default_model_path(), device="cpu")
    config = embedder.manifest.training.get("config", {})
    if config.get("backbone") != "hybrid":
        pytest.skip("the bundled model is not a hybrid")
    return embedder, config


def test_a_started_network_embeds_as_the_model_file_does() -> None:
    embedder, config = _bundled_hybrid()
    size = embedder.manifest.preprocessing.input_size
    model = HybridEmbedder(dim=config["dim"], learned_weight=config["learned_weight"], image_size=size)
    model.eval()
    paths = sorted(p for p in Path(sample_folder()).rglob("*") if p.suffix.lower() in {".png", ".jpg"})[:6]
    batch = np.stack([embedder.prepare(load_image(p)) for p in paths])  # uint8 NHWC, as the app feeds
    x = normalize_torch(torch.from_numpy(batch), embedder.manifest.preprocessing)
    with torch.no_grad():
        before = model(x).numpy()  # fresh: identity projections, random head
    start_from(model, default_model_path(), size)
    with torch.no_grad():
        started = model(x).numpy()
    expected = embedder.embed_batch(batch)
    np.testing.assert_allclose(started, expected, atol=2e-4)
    assert np.abs(before - expected).max() > 0.05  # the copy is what made them agree


def test_files_that_cannot_start_a_run_are_refused(tmp_path: Path) -> None:
    embedder, config = _bundled_hybrid()
    size = embedder.manifest.preprocessing.input_size
    text = tmp_path / "notes.onnx"
    text.write_text("not a model")
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        start_from(HybridEmbedder(dim=config["dim"], image_size=size), text, size)
    with pytest.raises(ModelError, match="px images"):
        start_from(HybridEmbedder(dim=config["dim"], image_size=2 * size), default_model_path(), 2 * size)
    other_dim = HybridEmbedder(dim=config["dim"] + 1, image_size=size)
    with pytest.raises(ModelError, match="--dim"):
        start_from(other_dim, default_model_path(), size)
    copy = tmp_path / "copy.onnx"
    shutil.copy(default_model_path(), copy)
    start_from(HybridEmbedder(dim=config["dim"], image_size=size), copy, size)  # a good copy starts


def test_a_model_made_before_the_colour_part_starts_a_run_in_its_own_layout(tmp_path: Path) -> None:
    """A model file without the colour part (made before it) starts a network without one: the
    run continues the model the user has, and embeds as the file does."""
    from lookalike.engine.images.preprocessing import Preprocessing, fit_to_input
    from lookalike.engine.model.manifest import THRESHOLD_KEYS, ModelManifest
    from lookalike.train.export.onnx_export import export_onnx
    from lookalike.train.models.hybrid import embedding_parts

    size, dim = 64, 8
    prep = Preprocessing(input_size=size, resize="letterbox")
    old = HybridEmbedder(dim=dim, image_size=size).eval()
    old.colour = False
    paths = sorted(p for p in Path(sample_folder()).rglob("*") if p.suffix.lower() in {".png", ".jpg"})[:6]
    batch = np.stack([fit_to_input(load_image(p), prep) for p in paths])
    x = normalize_torch(torch.from_numpy(batch), prep)
    old.fit_projections(old.part_outputs(x))
    manifest = ModelManifest(
        preprocessing=prep,
        embedding_dim=old(x).shape[1],
        thresholds=dict.fromkeys(THRESHOLD_KEYS, 0.5),
        parts=embedding_parts(dim, colour=False),
    )
    path = tmp_path / "before_colour.onnx"
    export_onnx(old, manifest, path, batch)
    fresh = HybridEmbedder(dim=dim, image_size=size).eval()
    start_from(fresh, path, size)
    with torch.no_grad():
        started = fresh(x).numpy()
    assert fresh.colour is False
    np.testing.assert_allclose(started, Embedder(path, device="cpu").embed_batch(batch), atol=2e-4)
