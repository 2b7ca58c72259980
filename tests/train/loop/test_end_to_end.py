"""A tiny real run: trains, exports, passes parity and is loaded by the engine's Embedder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.model.manifest import THRESHOLD_KEYS
from lookalike.train.data.class_split import load_split, split_from_dict
from lookalike.train.export.onnx_export import PARITY_TOLERANCE
from lookalike.train.export.package_run import ExportReport
from lookalike.train.loop.checkpoint import load_checkpoint
from lookalike.train.loop.trainer import RunResult, run

from tests.real_data import CARDS
from tests.train.conftest import tiny_config


def _export(run: RunResult) -> ExportReport:
    assert run.export is not None, "the tiny run exports its model"
    return run.export


def test_run_writes_checkpoints_metrics_split_and_model(tiny_run: RunResult) -> None:
    out = tiny_run.out
    for name in ("best.pt", "last.pt", "config.json", "split.json", "metrics.json", "model.onnx"):
        assert (out / name).is_file(), name
    rows = json.loads((out / "metrics.json").read_text())
    assert [r["epoch"] for r in rows] == [1, 2]
    for key in ("loss", "active_fraction", "mean_d_ap", "mean_d_an", "spread", "precision_at_1"):
        assert np.isfinite(rows[-1][key]), key
    split = json.loads((out / "split.json").read_text())
    assert len(split["val"]) == 3
    assert not set(split["val"]) & set(split["train"])


def test_export_passes_parity_and_engine_loads_it(tiny_run: RunResult) -> None:
    assert _export(tiny_run).parity_diff <= PARITY_TOLERANCE
    embedder = Embedder(tiny_run.out / "model.onnx", device="cpu")
    assert embedder.dim == 16
    image = next(iter(sorted((CARDS / "1_of_clubs").iterdir())))
    vec = embedder.embed_file(image)
    assert vec.shape == (16,)
    assert np.linalg.norm(vec) == pytest.approx(1.0, abs=1e-5)


def test_manifest_round_trip_train_to_engine(tiny_run: RunResult) -> None:
    manifest = Embedder(tiny_run.out / "model.onnx", device="cpu").manifest
    cfg = json.loads((tiny_run.out / "config.json").read_text())
    assert manifest.preprocessing.input_size == cfg["image_size"] == 32
    assert manifest.preprocessing.resize == "letterbox"
    assert manifest.embedding_dim == 16
    assert set(THRESHOLD_KEYS) <= set(manifest.thresholds)
    report = _export(tiny_run).thresholds
    assert {k: manifest.thresholds[k] for k in report} == report
    assert manifest.duplicate_choice.calibrated  # "same picture" thresholds of its own, beside "same class"
    assert manifest.metrics["duplicates"]["n_copies"] > 0
    assert manifest.histograms is not None
    assert sum(manifest.histograms.genuine) > 0
    assert manifest.histograms.genuine_total > 0  # population counts: precision is not the sample's
    assert manifest.histograms.impostor_total > 0
    assert manifest.training["val_classes"] == 3
    assert manifest.metrics["held_out"] == _export(tiny_run).metrics


def test_engine_and_torch_embed_the_same(tiny_run: RunResult) -> None:
    from lookalike.train.data.prepared import preprocessing_for
    from lookalike.train.loop.embed import embed_images
    from lookalike.train.models.networks import EmbeddingNet

    embedder = Embedder(tiny_run.out / "model.onnx", device="cpu")
    cfg = tiny_config(tiny_run.out)
    model = EmbeddingNet(cfg.dim, cfg.width)
    model.load_state_dict(load_checkpoint(tiny_run.out / "best.pt")["model"])
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    want = embed_images(model, images, preprocessing_for(cfg), torch.device("cpu"))
    np.testing.assert_allclose(embedder.embed_batch(images), want, atol=1e-4)


def test_resume_replays_the_next_epoch_exactly(tmp_path: Path) -> None:
    quiet = lambda message: None  # noqa: E731
    straight = run(tiny_config(tmp_path / "a", export=False), log=quiet)
    run(tiny_config(tmp_path / "b", epochs=1, export=False), log=quiet)
    resumed = run(
        tiny_config(tmp_path / "b", resume=str(tmp_path / "b" / "last.pt"), export=False),
        log=quiet,
    )
    timing = {"seconds", "images_per_s"}
    assert [{k: v for k, v in row.items() if k not in timing} for row in resumed.state.history] == [
        {k: v for k, v in row.items() if k not in timing} for row in straight.state.history
    ]
    a = load_checkpoint(tmp_path / "a" / "last.pt")["model"]
    b = load_checkpoint(tmp_path / "b" / "last.pt")["model"]
    for key, value in a.items():
        torch.testing.assert_close(b[key], value, rtol=0, atol=0)


def test_dry_run_stops_after_one_batch(tmp_path: Path) -> None:
    result = run(tiny_config(tmp_path, dry_run=True), log=lambda message: None)
    assert result.export is None
    assert result.state.epoch == 0
    assert result.images_per_s > 0


def test_the_checkpoint_and_split_json_hold_the_same_split(tiny_run: RunResult) -> None:
    saved = load_split(tiny_run.out / "split.json")
    for name in ("best.pt", "last.pt"):
        assert split_from_dict(load_checkpoint(tiny_run.out / name)["split"]) == saved
    assert saved.val
    assert saved.train
