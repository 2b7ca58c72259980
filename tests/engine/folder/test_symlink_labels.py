"""Issue 10, defect 3: links to folders never relabel images; links to files are followed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from lookalike.engine.folder.scan import scan_folder
from lookalike.engine.model.bundled import sample_folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    for cls in ("10_of_hearts", "flag_de", "flag_it"):
        shutil.copytree(sample_folder() / cls, root / cls)
    return root


def _labels(folder: Path) -> dict[str, str | None]:
    entries, _ = scan_folder(folder)
    return {e.rel_path: e.label for e in entries}


def test_a_link_to_a_sibling_class_does_not_relabel_its_images(folder: Path) -> None:
    before = _labels(folder)
    (folder / "flag_de" / "toHearts").symlink_to("../10_of_hearts", target_is_directory=True)
    assert _labels(folder) == before


def test_several_links_give_the_same_result_whatever_the_directory_order(folder: Path) -> None:
    before = _labels(folder)
    (folder / "flag_de" / "a").symlink_to("../10_of_hearts", target_is_directory=True)
    (folder / "flag_it" / "b").symlink_to("../10_of_hearts", target_is_directory=True)
    (folder / "10_of_hearts" / "c").symlink_to("../flag_it", target_is_directory=True)
    (folder / "zz").symlink_to("flag_de", target_is_directory=True)
    assert _labels(folder) == before


def test_links_to_files_are_followed(folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.jpg"
    shutil.copyfile(sorted((folder / "10_of_hearts").iterdir())[0], outside)
    (folder / "flag_de" / "linked.jpg").symlink_to(outside)
    assert _labels(folder)["flag_de/linked.jpg"] == "flag_de"


def test_the_folder_given_may_itself_be_a_link(folder: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-photos"
    link.symlink_to(folder, target_is_directory=True)
    assert _labels(link) == _labels(folder)
    assert os.path.islink(link)
