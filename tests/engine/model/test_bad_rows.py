"""A model that gives some images NaN or a zero vector: those are skipped with a reason, the rest
embedded (a zero vector made two unrelated images a 0.0 MATCH; one NaN failed the whole folder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.errors import ModelError
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.images.preprocessing import normalize
from lookalike.engine.model.embedder import Embedder
from PIL import Image

from tests.model_factory import default_manifest, moody_model

SIZE = 16


def _mean(value: int) -> float:
    """The mean normalised pixel of a uniform image of this grey level, as the model sees it."""
    batch = np.full((1, SIZE, SIZE, 3), value, np.uint8)
    return float(normalize(batch, default_manifest(SIZE).preprocessing).mean())


@pytest.fixture
def moody(tmp_path: Path) -> Embedder:
    dark = (_mean(0) + _mean(60)) / 2  # black and near-black: zero vectors
    bright = (_mean(200) + _mean(255)) / 2  # white: NaN
    return Embedder(moody_model(tmp_path / "moody.onnx", dark, bright, SIZE), device="cpu")


def _image(path: Path, value: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    noise = rng.integers(-8, 9, (SIZE * 4, SIZE * 4, 3)) if 30 < value < 220 else 0
    pixels = np.clip(np.full((SIZE * 4, SIZE * 4, 3), value) + noise, 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path)


def test_bad_rows_get_reasons_and_the_good_ones_vectors(moody: Embedder) -> None:
    batch = np.stack([np.full((SIZE, SIZE, 3), v, np.uint8) for v in (0, 128, 255, 120)])
    vectors, reasons = moody.embed_rows(batch)
    assert reasons[0] == "returned a zero vector for this image"
    assert reasons[2] == "returned NaN or infinite values for this image"
    assert reasons[1] == reasons[3] == ""
    np.testing.assert_allclose(np.linalg.norm(vectors[[1, 3]], axis=1), 1.0, atol=1e-5)
    assert np.isfinite(vectors).all()
    with pytest.raises(ModelError, match="NaN"):
        moody.embed_batch(batch[2:3])  # one image, one question: a clear error


def test_a_folder_embeds_the_good_images_and_skips_the_others(moody: Embedder, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, value in [("black.png", 0), ("black2.png", 10), ("white.png", 255)]:
        _image(folder / name, value, 0)
    for n in range(3):
        _image(folder / f"grey{n}.png", 100 + 20 * n, n)
    emb = embed_folder(folder, moody, cache_dir=tmp_path / "cache")
    assert emb.paths == ["grey0.png", "grey1.png", "grey2.png"]
    reasons = {s.path: s.reason for s in emb.skipped}
    assert reasons == {
        "black.png": "the model returned a zero vector for this image",
        "black2.png": "the model returned a zero vector for this image",
        "white.png": "the model returned NaN or infinite values for this image",
    }
    again = embed_folder(folder, moody, cache_dir=tmp_path / "cache")  # the cache keeps no bad row
    assert again.paths == emb.paths
    assert {s.path for s in again.skipped} == set(reasons)


def test_one_image_the_model_cannot_embed_is_named(moody: Embedder, tmp_path: Path) -> None:
    _image(tmp_path / "white.png", 255, 0)
    with pytest.raises(ModelError, match=r"white\.png: the model returned NaN"):
        moody.embed_file(tmp_path / "white.png")
