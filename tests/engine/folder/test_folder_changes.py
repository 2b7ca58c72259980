"""A folder that changes between runs or during a scan never yields a stale embedding."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.folder.embedding import FolderEmbeddings, embed_folder
from lookalike.engine.model.embedder import Embedder
from PIL import Image

from tests.engine.bad_corpus import encoded

CLASSES = ("2_of_hearts", "queen_of_spades", "1_of_clubs")


@pytest.fixture(scope="module")
def embedder(projection_model_path: Path) -> Embedder:
    return Embedder(projection_model_path, device="cpu")


@pytest.fixture
def folder(image_data: Path, tmp_path: Path) -> Path:
    """Four real card images per class; spare ones to swap in live under `spare/`."""
    root = tmp_path / "cards"
    spare = tmp_path / "spare"
    spare.mkdir()
    for cls in CLASSES:
        files = sorted((image_data / "cards" / cls).iterdir())
        (root / cls).mkdir(parents=True)
        for src in files[:4]:
            shutil.copy2(src, root / cls / src.name)
        for src in files[4:8]:
            shutil.copy2(src, spare / f"{cls}-{src.name}")
    return root


def assert_fresh(result: FolderEmbeddings, embedder: Embedder) -> None:
    """Every vector equals the embedding of the file as it is on disk now; every file is listed."""
    on_disk = sorted(p.relative_to(result.folder).as_posix() for p in result.folder.rglob("*") if p.is_file())
    skipped = {s.path for s in result.skipped}
    assert skipped <= set(on_disk)
    assert result.paths == [p for p in on_disk if p not in skipped]
    for i, rel in enumerate(result.paths):
        np.testing.assert_allclose(result.vectors[i], embedder.embed_file(result.folder / rel), atol=1e-5)


def same_size_other_picture(target: Path, spare: Path) -> None:
    """Overwrite `target` in place with another picture padded to exactly the same byte size."""
    size = target.stat().st_size
    with Image.open(sorted(spare.iterdir())[-1]) as img:
        picture = img.convert("RGB")
    quality = 90
    while len(data := encoded(picture, "JPEG", quality=quality)) >= size:
        quality -= 10
    with open(target, "r+b") as fh:  # in place: same inode, same size; bytes after the JPEG end are ignored
        fh.write(data + b"\0" * (size - len(data)))


def test_add_edit_remove_rename_between_runs(folder: Path, embedder: Embedder) -> None:
    spare = folder.parent / "spare"
    first = embed_folder(folder, embedder)
    assert_fresh(first, embedder)
    a, b, c, d = (
        sorted((folder / cls).iterdir())[i] for cls, i in zip(CLASSES * 2, (0, 1, 2, 3), strict=False)
    )
    shutil.copy2(sorted(spare.iterdir())[0], folder / CLASSES[0] / "added.jpg")
    before = embedder.embed_file(a)
    same_size_other_picture(a, spare)
    assert not np.allclose(embedder.embed_file(a), before, atol=1e-3)  # the edit changed the picture
    b.unlink()
    c.rename(c.with_name("renamed.jpg"))
    second = embed_folder(folder, embedder)
    assert_fresh(second, embedder)
    assert second.n_embedded == 3  # added, edited, renamed; the rest came from the cache
    assert d.relative_to(folder).as_posix() in second.paths


def test_edit_with_mtime_put_back_is_still_noticed(folder: Path, embedder: Embedder) -> None:
    """cp -p, rsync -t and some photo apps restore the old mtime after writing: ctime still moves."""
    target = sorted((folder / CLASSES[1]).iterdir())[0]
    embed_folder(folder, embedder)
    st = target.stat()
    same_size_other_picture(target, folder.parent / "spare")
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert target.stat().st_mtime_ns == st.st_mtime_ns
    assert target.stat().st_size == st.st_size
    again = embed_folder(folder, embedder)
    assert again.n_embedded == 1
    assert_fresh(again, embedder)


def test_files_changing_while_the_scan_runs(folder: Path, embedder: Embedder) -> None:
    """After the file list is made (first progress call), files vanish, change and turn to garbage."""
    spare = folder.parent / "spare"
    files = sorted(folder.rglob("*.jpg"))
    gone, changed, garbage = files[0], files[5], files[9]
    old_changed = embedder.embed_file(changed)

    def meddle(done: int, total: int) -> None:
        if gone.exists():
            gone.unlink()
            shutil.copyfile(sorted(spare.iterdir())[1], changed)
            garbage.write_bytes(b"overwritten by a half-finished copy")

    during = embed_folder(folder, embedder, progress=meddle)
    reasons = {s.path: s.reason for s in during.skipped}
    rel = {p: p.relative_to(folder).as_posix() for p in (gone, changed, garbage)}
    assert rel[gone] in reasons or rel[gone] in during.paths  # decoded before or after it vanished
    if rel[gone] in reasons:
        assert "not found" in reasons[rel[gone]]
    if rel[garbage] in reasons:
        assert "not an image" in reasons[rel[garbage]]
    row = during.paths.index(rel[changed])
    new_changed = embedder.embed_file(changed)
    assert np.allclose(during.vectors[row], new_changed, atol=1e-5) or np.allclose(
        during.vectors[row], old_changed, atol=1e-5
    )
    after = embed_folder(folder, embedder)
    assert_fresh(after, embedder)
    assert rel[garbage] in {s.path for s in after.skipped}
    assert rel[gone] not in after.paths
