"""What a model file must say about itself so the app uses it right: one frozen dataclass.

train/ writes it into the ONNX file's metadata (key `lookalike.manifest`, JSON); the engine reads
it back and refuses a model whose manifest is missing or incomplete, naming what is missing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from lookalike.engine.errors import ManifestError
from lookalike.engine.images.preprocessing import RESIZE_POLICIES, Preprocessing
from lookalike.engine.thresholds.default import (
    DuplicateChoice,
    ThresholdChoice,
    choose_default,
    choose_duplicate,
)

METADATA_KEY = "lookalike.manifest"
FORMAT_VERSION = 1
DISTANCES = ("euclidean",)
# Embeddings are L2-normalised, so euclidean distances lie in [0, 2]; a threshold above means nothing.
MAX_DISTANCE = 2.0
THRESHOLD_KEYS = ("best_accuracy", "far_1e-3", "far_1e-2")
REQUIRED_FIELDS = ("format_version", "preprocessing", "embedding_dim", "distance", "thresholds")
# Bounds that keep a hostile manifest from making the load-time test run allocate gigabytes.
MAX_INPUT_SIZE = 4096
MAX_EMBEDDING_DIM = 65536
PREPROCESSING_FIELDS = ("input_size", "resize", "mean", "std", "channel_order")
MAX_PARTS = 32  # named slices of the embedding a manifest may list
# The part of an embedding that is the picture itself, shrunk (the hybrid embedder's 16×16 colour
# thumbnail): what the duplicate listing's pixel gate compares (engine.duplicates.pixel_gate).
PIXELS_PART = "pixels"


@dataclass(frozen=True)
class Histograms:
    """Genuine (same class) and impostor distance counts on shared bins, from calibration."""

    bin_edges: tuple[float, ...]
    genuine: tuple[int, ...]
    impostor: tuple[int, ...]
    # Pairs of each kind in the whole calibration set. The counts above may come from a sample that
    # over-draws genuine pairs on purpose; precision must be weighted back to these (0: not recorded).
    genuine_total: int = 0
    impostor_total: int = 0


@dataclass(frozen=True)
class ModelManifest:
    """Preprocessing, output and calibration of an embedder: the single source of truth."""

    preprocessing: Preprocessing
    embedding_dim: int
    thresholds: dict[str, float]
    distance: str = "euclidean"
    name: str = "lookalike-embedder"
    histograms: Histograms | None = None
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    version: str = ""
    format_version: int = FORMAT_VERSION
    # Named slices [start, stop) of the embedding that mean something on their own (the hybrid
    # embedder's parts); empty for an embedding that is one whole.
    parts: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def default_choice(self) -> ThresholdChoice:
        """Which calibrated threshold the app and CLI start with, and why (see default_threshold.py)."""
        return choose_default(self.thresholds, self.histograms)

    @property
    def duplicate_choice(self) -> DuplicateChoice:
        """The "same picture" thresholds duplicates use (never the "same class" match threshold)."""
        return choose_duplicate(self.thresholds, self.parts.get(PIXELS_PART))

    @property
    def default_threshold(self) -> float:
        """The threshold the app and CLI start with: a false-accept-rate point, not balanced accuracy."""
        return self.default_choice.value

    def to_json(self) -> str:
        """Serialise for the ONNX metadata (a plain JSON object)."""
        return json.dumps(asdict(self), sort_keys=True)

    def to_metadata(self) -> dict[str, str]:
        """The key/value pairs to store in `ModelProto.metadata_props`."""
        return {METADATA_KEY: self.to_json()}


def manifest_from_metadata(metadata: dict[str, str]) -> ModelManifest:
    """Read the manifest from ONNX metadata, or raise ManifestError naming what is wrong."""
    if METADATA_KEY not in metadata:
        raise ManifestError(
            f"the model has no Lookalike manifest (metadata key '{METADATA_KEY}' is missing): "
            "it does not say its preprocessing, embedding size, distance or thresholds. "
            "Export it with `lookalike export` or `lookalike train`."
        )
    return manifest_from_json(metadata[METADATA_KEY])


def manifest_from_json(text: str) -> ModelManifest:
    """Parse and validate manifest JSON; every problem becomes one ManifestError."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ManifestError(f"the model's manifest is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ManifestError("the model's manifest is not a JSON object")
    missing = [k for k in REQUIRED_FIELDS if k not in raw]
    if missing:
        raise ManifestError("the model's manifest is missing: " + ", ".join(missing))
    try:
        return _build(raw)
    except ManifestError:
        raise
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise ManifestError(f"the model's manifest is malformed: {exc}") from exc


def _build(raw: dict[str, Any]) -> ModelManifest:
    if raw["format_version"] != FORMAT_VERSION:
        raise ManifestError(
            f"manifest format {raw['format_version']!r} is not supported (expected {FORMAT_VERSION})"
        )
    manifest = ModelManifest(
        preprocessing=_preprocessing(raw["preprocessing"]),
        embedding_dim=_positive_int(raw["embedding_dim"], "embedding_dim", MAX_EMBEDDING_DIM),
        thresholds=_thresholds(raw["thresholds"]),
        distance=_distance(raw["distance"]),
        name=str(raw.get("name", "lookalike-embedder")),
        histograms=_histograms(raw.get("histograms")),
        training=_dict(raw.get("training", {}), "training"),
        metrics=_dict(raw.get("metrics", {}), "metrics"),
        version=str(raw.get("version", "")),
    )
    return replace(manifest, parts=_parts(raw.get("parts", {}), manifest.embedding_dim))


def _preprocessing(raw: Any) -> Preprocessing:
    if not isinstance(raw, dict):
        raise ManifestError("manifest 'preprocessing' must be an object")
    missing = [k for k in PREPROCESSING_FIELDS if k not in raw]
    if missing:
        raise ManifestError("the model's manifest preprocessing is missing: " + ", ".join(missing))
    if raw["resize"] not in RESIZE_POLICIES:
        raise ManifestError(f"unknown resize policy {raw['resize']!r}")
    return Preprocessing(
        input_size=_positive_int(raw["input_size"], "input_size", MAX_INPUT_SIZE),
        resize=str(raw["resize"]),
        mean=_triple(raw["mean"], "mean"),
        std=_triple(raw["std"], "std"),
        channel_order=str(raw["channel_order"]),
        pad_value=_byte(raw.get("pad_value", 255), "pad_value"),
    )


def _triple(value: Any, name: str) -> tuple[float, float, float]:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ManifestError(f"manifest '{name}' must be three numbers")
    a, b, c = (_finite(v, name) for v in value)
    return (a, b, c)


def _finite(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ManifestError(f"manifest '{name}' must be a number, not {value!r}")
    out = float(value)
    if out != out or out in (float("inf"), float("-inf")):
        raise ManifestError(f"manifest '{name}' must be finite")
    return out


def _positive_int(value: Any, name: str, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ManifestError(f"manifest '{name}' must be a positive integer, not {value!r}")
    if value > limit:
        raise ManifestError(f"manifest '{name}' is {value}, more than any embedder uses (limit {limit})")
    return value


def _byte(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise ManifestError(f"manifest '{name}' must be an integer from 0 to 255, not {value!r}")
    return value


def _distance(value: Any) -> str:
    if value not in DISTANCES:
        raise ManifestError(f"unsupported distance {value!r} (supported: {', '.join(DISTANCES)})")
    return str(value)


def _thresholds(raw: Any) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise ManifestError("manifest 'thresholds' must be an object")
    missing = [k for k in THRESHOLD_KEYS if k not in raw]
    if missing:
        raise ManifestError("the model's manifest thresholds are missing: " + ", ".join(missing))
    out = {str(k): _finite(v, f"thresholds.{k}") for k, v in raw.items()}
    if any(not 0 <= v <= MAX_DISTANCE for v in out.values()):
        raise ManifestError(
            f"thresholds must be distances from 0 to {MAX_DISTANCE:g} (the vectors are unit length)"
        )
    return out


def _parts(raw: Any, dim: int) -> dict[str, tuple[int, int]]:
    """Named [start, stop) slices inside the embedding: a slice past its end would index nothing."""
    if not isinstance(raw, dict) or len(raw) > MAX_PARTS:
        raise ManifestError(f"manifest 'parts' must be an object of at most {MAX_PARTS} named slices")
    out = {}
    for name, span in raw.items():
        ok = isinstance(span, list | tuple) and len(span) == 2
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in span)
        if not ok or not 0 <= span[0] < span[1] <= dim:
            raise ManifestError(f"manifest part {name!r} must be [start, stop] inside the {dim} numbers")
        out[str(name)] = (int(span[0]), int(span[1]))
    return out


def _histograms(raw: Any) -> Histograms | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ManifestError("manifest 'histograms' must be an object")
    edges = tuple(_finite(v, "histograms.bin_edges") for v in raw["bin_edges"])
    genuine = tuple(int(v) for v in raw["genuine"])
    impostor = tuple(int(v) for v in raw["impostor"])
    if len(genuine) != len(edges) - 1 or len(impostor) != len(edges) - 1:
        raise ManifestError("histogram counts must have one fewer entry than bin_edges")
    totals = [int(raw.get(k, 0)) for k in ("genuine_total", "impostor_total")]
    if any(t < 0 for t in totals) or any(c < 0 for c in genuine + impostor):
        raise ManifestError("histogram counts must not be negative")
    return Histograms(edges, genuine, impostor, *totals)


def _dict(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ManifestError(f"manifest '{name}' must be an object")
    return value
