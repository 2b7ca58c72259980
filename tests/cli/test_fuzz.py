"""Property tests: mutated real images through the loader, hostile text through the manifest parser.

Nothing may escape but the documented error type (ImageLoadError, ManifestError). Bounded runs
(derandomized, no example database) so the suite stays fast and repeatable.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lookalike.engine.errors import ImageLoadError, ManifestError
from lookalike.engine.images.loading import load_image
from lookalike.engine.model.manifest import ModelManifest, manifest_from_json, manifest_from_metadata
from PIL import Image

from tests.engine.bad_corpus import animated, encoded, multipage_tiff, sample_rgb
from tests.model_factory import default_manifest
from tests.real_data import DATA

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _seeds() -> dict[str, bytes]:
    """Real files the suite carries, plus small files of the other allowed formats."""
    real = {
        "flag.png": DATA / "flags" / "fr",
        "card.jpg": DATA / "cards" / "queen_of_hearts",
        "fashion.png": DATA / "fashion-mnist" / "bag",
    }
    seeds = {name: sorted(folder.glob("*" + name[-4:]))[0].read_bytes() for name, folder in real.items()}
    small = sample_rgb(24, 18)
    seeds |= {
        "small.gif": animated("GIF"),
        "small.webp": encoded(small, "WEBP", quality=80),
        "small.bmp": encoded(small, "BMP"),
        "small.tif": multipage_tiff(),
    }
    return seeds


SEEDS = _seeds()


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """Flip, overwrite, insert and cut bytes; headers (the first 64 bytes) are hit more often."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 6))):
        limit = 63 if draw(st.booleans()) else len(data) - 1
        pos = draw(st.integers(0, max(0, min(limit, len(data) - 1))))
        action = draw(st.sampled_from(["flip", "set", "insert", "delete"]))
        if not data:
            break
        if action == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "set":
            data[pos] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, draw(st.integers(0, 255))]))
        elif action == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[pos : pos + draw(st.integers(1, 16))]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def _load_or_refuse(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            img = load_image(path, min_side=24)
        except ImageLoadError as exc:
            reason = str(exc)
        else:
            reason = ""
    if reason:
        assert reason.strip()
        assert "\n" not in reason
    else:
        assert isinstance(img, Image.Image)
        assert img.mode == "RGB"
        assert min(img.size) >= 1


@pytest.mark.parametrize("seed_name", sorted(SEEDS))
def test_mutated_images_load_or_raise_image_load_error(seed_name: str) -> None:
    @FUZZ
    @given(data=mutated(SEEDS[seed_name]))
    def check(data: bytes) -> None:
        _load_or_refuse(data, seed_name)

    check()


@FUZZ
@given(data=st.binary(max_size=512))
def test_random_bytes_load_or_raise_image_load_error(data: bytes) -> None:
    _load_or_refuse(data, "random.png")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _valid() -> dict[str, Any]:
    return dict(json.loads(default_manifest().to_json()))


@st.composite
def edited_manifest(draw: st.DrawFn) -> str:
    """A valid manifest with fields replaced, removed or added, at the top or one level down."""
    raw = _valid()
    for _ in range(draw(st.integers(1, 4))):
        target: Any = raw
        if draw(st.booleans()):
            target = raw.get(draw(st.sampled_from(["preprocessing", "thresholds"])))
            if not isinstance(target, dict):
                continue
        names = st.text(max_size=6)
        key = draw(st.sampled_from(sorted(target)) | names if target else names)
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(JSON)
    return json.dumps(raw, allow_nan=True)


def _parse_or_refuse(text: str) -> None:
    try:
        manifest = manifest_from_json(text)
    except ManifestError as exc:
        assert_reason(exc)
        return
    assert isinstance(manifest, ModelManifest)
    assert manifest.embedding_dim > 0
    assert manifest.preprocessing.input_size >= 8
    assert manifest_from_json(manifest.to_json()) == manifest  # whatever parses round-trips


def assert_reason(exc: ManifestError) -> None:
    """A refusal names its reason."""
    assert str(exc).strip()


@FUZZ
@given(text=edited_manifest())
def test_edited_manifests_parse_or_raise_manifest_error(text: str) -> None:
    _parse_or_refuse(text)


@FUZZ
@given(text=st.text(max_size=200) | JSON.map(json.dumps))
def test_any_text_parses_or_raises_manifest_error(text: str) -> None:
    _parse_or_refuse(text)


@FUZZ
@given(meta=st.dictionaries(st.sampled_from(["lookalike.manifest", "other"]), st.text(max_size=40)))
def test_any_metadata_parses_or_raises_manifest_error(meta: dict[str, str]) -> None:
    try:
        manifest_from_metadata(meta)
    except ManifestError:
        return


def test_deeply_nested_manifest_is_a_manifest_error() -> None:
    with pytest.raises(ManifestError):
        manifest_from_json("[" * 100_000 + "]" * 100_000)
