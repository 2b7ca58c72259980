"""The pixel gate before the picture check: on the suite's own images with the bundled model, it
lets every planted near-copy through, stops pairs the picture check would have read, and changes
no group (engine.duplicates.pixel_gate)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from lookalike.engine.duplicates import listing as listing_module
from lookalike.engine.duplicates.listing import list_duplicates
from lookalike.engine.duplicates.near_copies import near_copy
from lookalike.engine.duplicates.pixel_gate import PictureCheck, PixelGate
from lookalike.engine.duplicates.planted import round_robin
from lookalike.engine.folder.embedding import FolderEmbeddings, embed_folder
from lookalike.engine.images.loading import load_image
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.thresholds.default import DuplicateChoice

from tests.real_data import DATA

N_ORIGINALS, N_COPIES = 36, 12


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[FolderEmbeddings, DuplicateChoice, list[Any]]:
    """A folder of different pictures (many of one class) and near-copies of some, embedded by the
    bundled model; with its duplicate choice and the (copy row, original row) pairs."""
    folder = tmp_path_factory.mktemp("gate")
    pick = random.Random(1)
    classes = sorted(p for p in DATA.glob("*/*") if p.is_dir())
    pools = [pick.sample(sorted(c.glob("*.*")), len(list(c.glob("*.*")))) for c in classes]
    rng = np.random.default_rng(1)
    for k, path in enumerate(round_robin(pools, N_ORIGINALS)):
        img = load_image(path)
        img.save(folder / f"orig_{k:03d}.png")
        if k < N_COPIES:
            near_copy(img, rng).save(folder / f"copy_{k:03d}.jpg", quality=85)
    embedder = Embedder(default_model_path(), device="cpu")
    emb = embed_folder(folder, embedder, cache_dir=tmp_path_factory.mktemp("cache"))
    row = {p: i for i, p in enumerate(emb.paths)}
    pairs = [(row[f"copy_{k:03d}.jpg"], row[f"orig_{k:03d}.png"]) for k in range(N_COPIES)]
    return emb, embedder.manifest.duplicate_choice, pairs


def test_the_bundled_model_has_a_gate_on_its_pixels_part(planted: Any) -> None:
    _, choice, _ = planted
    assert choice.gate is not None
    assert (choice.gate.start, choice.gate.stop) == (0, 768)
    assert 0.0 < choice.gate.threshold < 2.0


def test_the_gate_compares_the_pixels_parts_each_at_unit_length(planted: Any) -> None:
    emb, choice, _ = planted
    gate: PixelGate = choice.gate
    n = len(emb.vectors)
    i, j = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
    part = emb.vectors[:, gate.start : gate.stop].astype(np.float64)
    unit = part / np.linalg.norm(part, axis=1, keepdims=True)
    want = np.linalg.norm(unit[i] - unit[j], axis=1)
    assert np.allclose(gate.distances(emb.vectors, i, j), want, atol=1e-5)
    scaled = emb.vectors.copy()
    scaled[:, gate.start : gate.stop] *= 3.0  # the rest of the embedding weighs nothing here
    scaled[:, gate.stop :] = 0.0
    assert np.allclose(gate.distances(scaled, i, j), want, atol=1e-5)


def test_every_planted_copy_passes_the_gate(planted: Any) -> None:
    emb, choice, pairs = planted
    copies, originals = (np.array(side) for side in zip(*pairs, strict=True))
    d = choice.gate.distances(emb.vectors, copies, originals)
    assert bool(np.all(d < choice.gate.threshold)), d


def test_the_gate_stops_pairs_before_the_picture_check_and_changes_no_group(
    planted: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb, choice, _ = planted
    checked: list[int] = []
    real = listing_module.pair_picture_distances

    def counting(files: Any, i: np.ndarray, j: np.ndarray, hooks: Any = None) -> np.ndarray:
        checked.append(len(i))
        return real(files, i, j, hooks)

    monkeypatch.setattr(listing_module, "pair_picture_distances", counting)
    gated = list_duplicates(emb, choice.embedding, picture=choice.check)
    ungated = list_duplicates(emb, choice.embedding, picture=PictureCheck(choice.picture, None))
    assert gated is not None
    assert ungated is not None
    assert len(checked) == 2
    assert checked[0] < checked[1], checked  # gated first
    assert {g.rows for g in gated.groups} == {g.rows for g in ungated.groups}
    assert gated.groups  # the planted copies are there to be found
    assert gated.pixel_gate == choice.gate.threshold  # the listing says what its pairs passed
    assert ungated.pixel_gate is None
    assert gated.with_rule("newest").pixel_gate == gated.pixel_gate


def test_a_closed_gate_lets_no_pair_through(planted: Any) -> None:
    emb, choice, _ = planted
    closed = PictureCheck(choice.picture, PixelGate(choice.gate.start, choice.gate.stop, 0.0))
    listing = list_duplicates(emb, choice.embedding, picture=closed)
    assert listing is not None
    assert listing.groups == ()
