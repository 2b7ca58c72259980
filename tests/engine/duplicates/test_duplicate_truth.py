"""Duplicates mean "the same picture", measured on the suite's own images (issue 18's goal).

80 different pictures (the carried cards, fashion-mnist and flags images, one class after another
so many share a class) and 20 near-copies of them (engine.duplicates.near_copies: resized 50-90 %,
JPEG 60-90, up to 5 % cropped, slight colour change). `list_duplicates` with the bundled model's
duplicate thresholds, as `lookalike duplicates` runs by default, must group each copy with its
original and keep the other originals out of every group.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.duplicates.listing import list_duplicates
from lookalike.engine.duplicates.near_copies import near_copy
from lookalike.engine.duplicates.planted import found_and_pulled, round_robin
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.images.loading import load_image
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder

from tests.real_data import DATA

N_ORIGINALS, N_COPIES = 80, 20
FOUND_GOAL, PULLED_GOAL = 0.95, 0.02


def _plant(out: Path) -> list[tuple[str, str]]:
    """Originals round-robin over the carried classes, copies of the first 20; (copy, original)."""
    pick = random.Random(0)
    classes = sorted(p for p in DATA.glob("*/*") if p.is_dir())
    pools = [pick.sample(sorted(c.glob("*.*")), len(list(c.glob("*.*")))) for c in classes]
    chosen = round_robin(pools, N_ORIGINALS)
    rng = np.random.default_rng(0)
    pairs = []
    for k, path in enumerate(chosen):
        img = load_image(path)
        img.save(out / f"orig_{k:03d}.png")
        if k < N_COPIES:
            near_copy(img, rng).save(out / f"copy_{k:03d}.jpg", quality=90)
            pairs.append((f"copy_{k:03d}.jpg", f"orig_{k:03d}.png"))
    return pairs


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> tuple[float, float]:
    """(share of copies grouped with their original, share of originals pulled into a group)."""
    folder = tmp_path_factory.mktemp("truth")
    pairs = _plant(folder)
    embedder = Embedder(default_model_path(), device="cpu")
    emb = embed_folder(folder, embedder, cache_dir=tmp_path_factory.mktemp("cache"))
    choice = embedder.manifest.duplicate_choice
    listing = list_duplicates(emb, choice.embedding, picture=choice.check)
    assert listing is not None
    groups = [{f.rel_path for f in g.files} for g in listing.groups]
    return found_and_pulled(groups, pairs, N_ORIGINALS)


def test_the_planted_folder_is_what_the_goal_is_measured_on(outcome: tuple[float, float]) -> None:
    """The measurement itself works: some copies are found, and the shares are shares."""
    found, pulled = outcome
    assert 0.0 < found <= 1.0
    assert 0.0 <= pulled <= 1.0


RECALL_GOAL_NOT_MET = pytest.mark.xfail(
    strict=True,
    reason="issue 18 goal not met for copies found: 0.80 on these images (18 of the 20 copies are "
    "cards) with the bundled model's calibration (bench/results/duplicate_truth.md, 4 folders per "
    "set: 0.86-1.00 on average, cards lowest). "
    "Strict: this fails as soon as the goal is met; then drop the marker.",
)


def test_distinct_pictures_stay_out_of_duplicate_groups(outcome: tuple[float, float]) -> None:
    _, pulled = outcome
    assert pulled <= PULLED_GOAL, f"{pulled:.3f} of the originals were grouped with another picture"


@RECALL_GOAL_NOT_MET
def test_near_copies_are_grouped_with_their_original(outcome: tuple[float, float]) -> None:
    found, _ = outcome
    assert found >= FOUND_GOAL, f"only {found:.2f} of the near-copies were grouped with their original"
