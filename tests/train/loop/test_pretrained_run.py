"""A tiny real run of the default recipe on the bundled samples: pretrained backbone, int8 export."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.model.bundled import sample_folder
from lookalike.engine.model.embedder import Embedder
from lookalike.train.config import TrainConfig
from lookalike.train.loop.trainer import RunResult, run


@pytest.fixture(scope="module")
def pretrained_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    root = tmp_path_factory.mktemp("samples")
    data = shutil.copytree(sample_folder(), root / "samples", ignore=shutil.ignore_patterns("*.md"))
    cfg = TrainConfig(
        data=(str(data),),
        out=str(root / "run"),
        epochs=2,
        val_classes=3,
        image_size=32,
        dim=16,
        batch_classes=3,
        batch_images=3,
        threads=1,
        device="cpu",
        int8=True,
    )
    return run(cfg, log=lambda message: None)


def test_the_default_recipe_trains_exports_and_the_engine_loads_it(pretrained_run: RunResult) -> None:
    report = pretrained_run.export
    assert report is not None
    assert [r["epoch"] for r in pretrained_run.state.history] == [1, 2]
    embedder = Embedder(report.path, device="cpu")
    assert embedder.manifest.preprocessing.input_size == 32
    assert embedder.manifest.training["config"]["backbone"] == "hybrid"
    # Its parts are in the manifest, and duplicates get a pixel gate calibrated on the pixels part.
    assert embedder.manifest.parts["pixels"] == (0, 768)
    assert embedder.manifest.parts["learned"][1] == embedder.manifest.embedding_dim
    gate = embedder.manifest.duplicate_choice.gate
    assert gate is not None
    assert (gate.start, gate.stop) == (0, 768)
    image = Path(sample_folder()) / "flag_de" / "iso_png320.png"
    assert np.linalg.norm(embedder.embed_file(image)) == pytest.approx(1.0, abs=1e-5)


def test_int8_export_is_smaller_close_to_fp32_and_scored(pretrained_run: RunResult) -> None:
    report = pretrained_run.export
    assert report is not None
    assert report.int8 is not None
    assert report.int8_path is not None
    fp32, int8 = Embedder(report.path, device="cpu"), Embedder(report.int8_path, device="cpu")
    assert int8.manifest == fp32.manifest
    assert report.int8_path.stat().st_size < report.path.stat().st_size / 2
    batch = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    cosine = (fp32.embed_batch(batch) * int8.embed_batch(batch)).sum(axis=1)
    assert cosine.min() > 0.9
    assert 0.0 <= report.int8["mean_average_precision_at_r"] <= 1.0
