"""A link and its target are one picture: the proposal never moves the target while keeping the link."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from lookalike.engine.duplicates.keep_rules import KEEP_RULES, KeepRule
from lookalike.engine.duplicates.listing import list_duplicates, listing_document
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.model.bundled import sample_folder
from lookalike.engine.model.embedder import Embedder

TARGET = "2019/holiday/IMG_0001.png"


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Three different pictures, a link `fav.png -> 2019/holiday/IMG_0001.png`, a byte copy of it."""
    root = tmp_path / "photos"
    (root / "2019/holiday").mkdir(parents=True)
    pictures = sorted((sample_folder() / "flag_de").iterdir())[:3]
    shutil.copy(pictures[0], root / TARGET)
    shutil.copy(pictures[1], root / "2019/other.png")
    shutil.copy(pictures[2], root / "2019/third.png")
    os.symlink("2019/holiday/IMG_0001.png", root / "fav.png")
    return root


@pytest.mark.parametrize("rule", KEEP_RULES)
def test_the_target_of_a_kept_link_is_never_moved(
    photos: Path, cpu_embedder: Embedder, rule: KeepRule
) -> None:
    listing = list_duplicates(embed_folder(photos, cpu_embedder), 0.01, rule)
    assert listing is not None
    [group] = [g for g in listing.groups if "fav.png" in [f.rel_path for f in g.files]]
    assert sorted(f.rel_path for f in group.files) == ["2019/holiday/IMG_0001.png", "fav.png"]
    assert group.others() == []  # on main, shortest-path kept fav.png and trashed the real file
    assert group.files[group.keep].rel_path == TARGET
    doc = listing_document(listing)["groups"][listing.groups.index(group)]
    assert {im["path"]: (im["action"], im["link_to"]) for im in doc["images"]} == {
        TARGET: ("keep", None),
        "fav.png": ("link", TARGET),
    }


def test_a_copy_may_go_but_a_linked_file_stays(photos: Path, cpu_embedder: Embedder) -> None:
    shutil.copy(photos / TARGET, photos / "2019/holiday/IMG_0001 copy.png")
    listing = list_duplicates(embed_folder(photos, cpu_embedder), 0.01, "shortest-path")
    assert listing is not None
    [group] = [g for g in listing.groups if "fav.png" in [f.rel_path for f in g.files]]
    roles = {f.rel_path: group.role(i) for i, f in enumerate(group.files)}
    assert roles == {TARGET: "keep", "fav.png": "link", "2019/holiday/IMG_0001 copy.png": "move"}
    os.remove(photos / TARGET)  # with the target gone, the copy is the one kept
    os.symlink("2019/holiday/IMG_0001 copy.png", photos / "fav2.png")
    os.symlink("IMG_0001 copy.png", photos / TARGET)  # fav.png now reaches the copy through it
    listing = list_duplicates(embed_folder(photos, cpu_embedder), 0.01, "shortest-path")
    assert listing is not None
    [group] = [g for g in listing.groups if "fav.png" in [f.rel_path for f in g.files]]
    assert group.others() == []  # every other member is a link to the one real file
