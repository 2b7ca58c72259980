"""Issue 10, defect 2c: the cache's file identity cannot be fooled by timestamps."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.folder.scan import scan_folder
from lookalike.engine.model.bundled import sample_folder
from lookalike.engine.model.embedder import Embedder
from PIL import Image

from tests.engine.bad_corpus import encoded

DAY_NS = 86_400 * 1_000_000_000


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two real sample classes, copied."""
    root = tmp_path / "photos"
    for cls in ("10_of_hearts", "flag_de"):
        shutil.copytree(sample_folder() / cls, root / cls)
    return root


def _same_size_other_picture(target: Path, source: Path) -> None:
    """Overwrite `target` in place with `source`'s picture, padded to exactly the same byte size."""
    size = target.stat().st_size
    with Image.open(source) as img:
        picture = img.convert("RGB")
    quality = 90
    while len(data := encoded(picture, "JPEG", quality=quality)) >= size:
        quality -= 10
    with open(target, "r+b") as fh:
        fh.write(data + b"\0" * (size - len(data)))


def test_a_future_mtime_does_not_hide_a_rewrite(folder: Path, cpu_embedder: Embedder, tmp_path: Path) -> None:
    """The issue's case: mtime in the future, rewritten at the same size, mtime put back."""
    target = sorted((folder / "10_of_hearts").iterdir())[0]
    future = time.time_ns() + DAY_NS
    os.utime(target, ns=(future, future))
    cache = tmp_path / "cache"
    first = embed_folder(folder, cpu_embedder, cache_dir=cache)
    _same_size_other_picture(target, sorted((folder / "flag_de").iterdir())[0])
    os.utime(target, ns=(future, future))
    again = embed_folder(folder, cpu_embedder, cache_dir=cache)
    assert again.n_embedded == 1
    row = again.paths.index(target.relative_to(folder).as_posix())
    np.testing.assert_allclose(again.vectors[row], cpu_embedder.embed_file(target), atol=1e-5)
    assert not np.allclose(again.vectors[row], first.vectors[row], atol=1e-3)


def test_each_stamp_is_compared_on_its_own(folder: Path) -> None:
    """A folded stamp (max of mtime and ctime) loses information; the key keeps every field."""
    entries, _ = scan_folder(folder)
    st = os.stat(folder / entries[0].rel_path)
    assert entries[0].key[1:5] == (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def test_future_stamped_files_carry_a_content_hash_and_others_do_not(folder: Path) -> None:
    """Only files whose clock lied are read during a scan, so an ordinary re-scan stays stat-only."""
    entries, _ = scan_folder(folder)
    future_file = folder / entries[0].rel_path
    future = time.time_ns() + DAY_NS
    os.utime(future_file, ns=(future, future))
    entries, _ = scan_folder(folder)
    digests = {e.rel_path: e.digest for e in entries}
    want = hashlib.blake2b(future_file.read_bytes(), digest_size=16).hexdigest()
    assert digests.pop(entries[0].rel_path) == want
    assert set(digests.values()) == {""}


def test_a_file_replaced_by_rename_is_embedded_again(
    folder: Path, cpu_embedder: Embedder, tmp_path: Path
) -> None:
    """Atomic save (write elsewhere, rename over): new inode, even with size and mtime copied back."""
    target = sorted((folder / "10_of_hearts").iterdir())[1]
    st = target.stat()
    cache = tmp_path / "cache"
    embed_folder(folder, cpu_embedder, cache_dir=cache)
    replacement = tmp_path / "replacement.jpg"
    shutil.copyfile(target, replacement)
    _same_size_other_picture(replacement, sorted((folder / "flag_de").iterdir())[1])
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replacement, target)
    again = embed_folder(folder, cpu_embedder, cache_dir=cache)
    assert again.n_embedded == 1
    row = again.paths.index(target.relative_to(folder).as_posix())
    np.testing.assert_allclose(again.vectors[row], cpu_embedder.embed_file(target), atol=1e-5)
