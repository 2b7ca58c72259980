"""Shared fixtures: the images the suite carries (tests/data), real ONNX models, isolated caches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lookalike.engine.model.embedder import Embedder

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own embedding cache and data (marks) directories, never the user's."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("LOOKALIKE_CACHE_DIR", str(cache))
    monkeypatch.setenv("LOOKALIKE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    return cache


@pytest.fixture(scope="session")
def image_data() -> Path:
    """The real images the suite carries (tests/data: cards, flags, fashion-mnist; see PROVENANCE.md)."""
    from tests.real_data import DATA

    return DATA


@pytest.fixture(scope="session")
def projection_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real ONNX embedder with a full manifest (pixel projection)."""
    from tests.model_factory import projection_model

    return projection_model(tmp_path_factory.mktemp("model") / "projection.onnx", input_size=24, dim=48)


@pytest.fixture(scope="module")
def cpu_embedder(projection_model_path: Path) -> Embedder:
    """A real ORT embedder on the projection model, shared by a test module."""
    return Embedder(projection_model_path, device="cpu")
