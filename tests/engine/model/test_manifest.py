"""The model manifest: exact round trip through ONNX metadata, and clear refusals naming the fault."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lookalike.engine.duplicates.pixel_gate import PixelGate
from lookalike.engine.errors import ManifestError
from lookalike.engine.images.preprocessing import RESIZE_POLICIES, Preprocessing
from lookalike.engine.model.manifest import (
    METADATA_KEY,
    Histograms,
    ModelManifest,
    manifest_from_json,
    manifest_from_metadata,
)
from lookalike.engine.thresholds.table import DUPLICATE_KEY, DUPLICATE_PICTURE_KEY, DUPLICATE_PIXELS_KEY


def _full_manifest() -> ModelManifest:
    return ModelManifest(
        preprocessing=Preprocessing(
            input_size=96,
            resize="center-crop",
            mean=(0.485, 0.456, 0.406),
            std=(0.229, 0.224, 0.225),
            channel_order="BGR",
            pad_value=0,
        ),
        embedding_dim=128,
        thresholds={"best_accuracy": 0.83, "far_1e-3": 0.41, "far_1e-2": 0.62},
        name="cards-resnet",
        histograms=Histograms(
            (0.0, 0.5, 1.0, 2.0), (10, 3, 0), (1, 40, 900), genuine_total=13, impostor_total=941
        ),
        training={"epochs": 30, "margin": 0.2, "classes": ["a", "b"]},
        metrics={"precision_at_1": 0.91},
        version="2024.1",
        parts={"pixels": (0, 48), "learned": (48, 128)},
    )


def _raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(_full_manifest().to_json())
    return raw


def test_round_trip_through_metadata_is_exact() -> None:
    manifest = _full_manifest()
    meta = manifest.to_metadata()
    assert list(meta) == [METADATA_KEY]
    assert all(isinstance(v, str) for v in meta.values())
    back = manifest_from_metadata(meta)
    assert back == manifest
    assert back.default_threshold == 0.62  # FAR 1e-2: its calibration precision is 0.503


def test_round_trip_without_optional_fields() -> None:
    manifest = ModelManifest(
        preprocessing=Preprocessing(),
        embedding_dim=8,
        thresholds={"best_accuracy": 1.0, "far_1e-3": 0.2, "far_1e-2": 0.5},
    )
    assert manifest_from_metadata(manifest.to_metadata()) == manifest


_finite = st.floats(min_value=0.0, max_value=4.0, allow_nan=False)
_distance = st.floats(min_value=0.0, max_value=2.0, allow_nan=False)  # unit vectors: 0 <= d <= 2


@settings(max_examples=60, deadline=None, database=None)
@given(
    size=st.integers(8, 512),
    resize=st.sampled_from(RESIZE_POLICIES),
    mean=st.tuples(_finite, _finite, _finite),
    std=st.tuples(*[st.floats(min_value=1e-3, max_value=5.0)] * 3),
    dim=st.integers(1, 4096),
    thresholds=st.tuples(_distance, _distance, _distance),
    name=st.text(max_size=30),
)
def test_round_trip_property(
    size: int,
    resize: str,
    mean: tuple[float, float, float],
    std: tuple[float, float, float],
    dim: int,
    thresholds: tuple[float, float, float],
    name: str,
) -> None:
    manifest = ModelManifest(
        preprocessing=Preprocessing(input_size=size, resize=resize, mean=mean, std=std),
        embedding_dim=dim,
        thresholds=dict(zip(("best_accuracy", "far_1e-3", "far_1e-2"), thresholds, strict=True)),
        name=name,
    )
    assert manifest_from_metadata(manifest.to_metadata()) == manifest


def test_no_manifest_is_refused_with_the_key_named() -> None:
    with pytest.raises(ManifestError, match="no Lookalike manifest") as info:
        manifest_from_metadata({"producer": "pytorch"})
    assert METADATA_KEY in str(info.value)


@pytest.mark.parametrize(
    "field", ["format_version", "preprocessing", "embedding_dim", "distance", "thresholds"]
)
def test_missing_field_is_named(field: str) -> None:
    raw = _raw()
    del raw[field]
    with pytest.raises(ManifestError, match=f"missing: {field}$"):
        manifest_from_json(json.dumps(raw))


@pytest.mark.parametrize("field", ["input_size", "resize", "mean", "std", "channel_order"])
def test_missing_preprocessing_field_is_named(field: str) -> None:
    raw = _raw()
    del raw["preprocessing"][field]
    with pytest.raises(ManifestError, match=f"preprocessing is missing: {field}$"):
        manifest_from_json(json.dumps(raw))


@pytest.mark.parametrize("key", ["best_accuracy", "far_1e-3", "far_1e-2"])
def test_missing_threshold_is_named(key: str) -> None:
    raw = _raw()
    del raw["thresholds"][key]
    with pytest.raises(ManifestError, match=f"thresholds are missing: {key}$"):
        manifest_from_json(json.dumps(raw))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("resize", "stretch", "resize policy 'stretch'"),
        ("input_size", 0, "input_size"),
        ("input_size", 4, "input_size"),
        ("input_size", "64", "input_size"),
        ("mean", [0.5, 0.5], "mean"),
        ("std", [1.0, 0.0, 1.0], "std"),
        ("std", [1.0, "x", 1.0], "std"),
        ("channel_order", "GBR", "channel_order"),
    ],
)
def test_bad_preprocessing_is_refused(field: str, value: object, message: str) -> None:
    raw = _raw()
    raw["preprocessing"][field] = value
    with pytest.raises(ManifestError, match=message):
        manifest_from_json(json.dumps(raw))


def test_preprocessing_not_an_object() -> None:
    raw = _raw()
    raw["preprocessing"] = [64, "letterbox"]
    with pytest.raises(ManifestError, match="'preprocessing' must be an object"):
        manifest_from_json(json.dumps(raw))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("format_version", 2, "format 2 is not supported"),
        ("distance", "cosine", "unsupported distance 'cosine'"),
        ("embedding_dim", -3, "embedding_dim"),
        ("embedding_dim", True, "embedding_dim"),
        ("thresholds", {"best_accuracy": -1.0, "far_1e-3": 0.1, "far_1e-2": 0.2}, "from 0 to 2"),
        ("thresholds", {"best_accuracy": 1e308, "far_1e-3": 0.1, "far_1e-2": 0.2}, "from 0 to 2"),
        ("thresholds", {"best_accuracy": float("nan"), "far_1e-3": 0.1, "far_1e-2": 0.2}, "finite"),
        ("thresholds", [0.1, 0.2, 0.3], "'thresholds' must be an object"),
        ("histograms", {"bin_edges": [0, 1, 2], "genuine": [1], "impostor": [1, 2]}, "one fewer"),
        ("training", "lots", "'training' must be an object"),
        ("parts", [0, 48], "'parts' must be an object"),
        ("parts", {"pixels": [0, 129]}, "inside the 128 numbers"),
        ("parts", {"pixels": [-1, 48]}, "inside the 128 numbers"),
        ("parts", {"pixels": [48, 48]}, "inside the 128 numbers"),
        ("parts", {"pixels": [True, 48]}, "inside the 128 numbers"),
        ("parts", {"pixels": [0, 48, 96]}, "inside the 128 numbers"),
        ("parts", {"pixels": "0:48"}, "inside the 128 numbers"),
    ],
)
def test_bad_values_are_refused(field: str, value: object, message: str) -> None:
    raw = _raw()
    raw[field] = value
    with pytest.raises(ManifestError, match=message):
        manifest_from_json(json.dumps(raw))


@pytest.mark.parametrize(
    ("text", "message"), [("{not json", "not valid JSON"), ("[1, 2]", "not a JSON object")]
)
def test_garbage_is_refused(text: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        manifest_from_metadata({METADATA_KEY: text})


def test_manifest_is_frozen() -> None:
    manifest = _full_manifest()
    with pytest.raises(AttributeError):
        manifest.embedding_dim = 3  # type: ignore[misc]
    assert replace(manifest, embedding_dim=3).embedding_dim == 3


def test_the_pixel_gate_comes_from_the_pixels_part_and_its_calibrated_threshold() -> None:
    duplicate = {DUPLICATE_KEY: 0.8, DUPLICATE_PICTURE_KEY: 0.3, DUPLICATE_PIXELS_KEY: 0.6}
    m = replace(_full_manifest(), thresholds={**_full_manifest().thresholds, **duplicate})
    back = manifest_from_json(m.to_json())
    assert back.duplicate_choice.gate == PixelGate(0, 48, 0.6)
    check = back.duplicate_choice.check
    assert check is not None
    assert check.threshold == 0.3
    assert check.gate == PixelGate(0, 48, 0.6)
    # No pixels part (an embedding that is one whole), or no calibrated gate: no gate.
    assert replace(back, parts={"learned": (48, 128)}).duplicate_choice.gate is None
    ungated = {k: v for k, v in back.thresholds.items() if k != DUPLICATE_PIXELS_KEY}
    assert replace(back, thresholds=ungated).duplicate_choice.gate is None
