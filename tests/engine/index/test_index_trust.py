"""A crafted index (issue 19, item 9) is refused with one line before any of its paths is shown."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("faiss")

from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.index.build import write_index
from lookalike.engine.index.cluster_extra import require
from lookalike.engine.index.manifest import IndexFolderError, read_manifest
from lookalike.engine.index.reader import open_index
from lookalike.engine.index.shards import SHARD_DIR
from lookalike.engine.model.bundled import sample_folder
from lookalike.engine.model.embedder import Embedder


@pytest.fixture
def indexed(tmp_path: Path, cpu_embedder: Embedder) -> tuple[Path, Path]:
    """(source, index) of two classes of the bundled samples."""
    src = tmp_path / "src"
    for name in ("flag_de", "flag_it"):
        shutil.copytree(sample_folder() / name, src / name)
    write_index(tmp_path / "ix", embed_folder(src, cpu_embedder), cpu_embedder)
    return src, tmp_path / "ix"


def _set_manifest(ix: Path, **changes: str) -> None:
    path = ix / "index.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(raw | changes), encoding="utf-8")


def _set_paths(ix: Path, paths: dict[int, str]) -> None:
    """Rewrite rows of the first shard to name other files, as a hostile index would."""
    pa, pq = require("pyarrow"), require("pyarrow.parquet")
    shard = ix / SHARD_DIR / read_manifest(ix).shards[0].file
    table = pq.read_table(shard)
    names = table.column("path").to_pylist()
    for row, name in paths.items():
        names[row] = name
    pq.write_table(table.set_column(0, "path", pa.array(names, pa.string())), shard)


def test_an_untouched_index_opens(indexed: tuple[Path, Path], cpu_embedder: Embedder) -> None:
    src, ix = indexed
    assert open_index(ix, cpu_embedder).folder == src.resolve()


def test_a_root_pointing_elsewhere_is_refused(
    tmp_path: Path, indexed: tuple[Path, Path], cpu_embedder: Embedder
) -> None:
    src, ix = indexed
    home = tmp_path / "home"
    for p in src.rglob("*.*"):  # the same names, but the user's own files: other bytes, other times
        (home / p.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
        (home / p.relative_to(src)).write_bytes(p.read_bytes() + b"user")
    _set_manifest(ix, root=str(home))
    with pytest.raises(IndexFolderError, match=f"built from '{src.resolve()}' but says its images are in"):
        open_index(ix, cpu_embedder)
    _set_manifest(ix, root=str(home), source=str(home))  # a consistent lie
    with pytest.raises(IndexFolderError, match="it was not built from that folder"):
        open_index(ix, cpu_embedder)


@pytest.mark.parametrize(
    "bad",
    ["../../../../etc/passwd", "Documents/thesis.docx", "../outside.jpg", "/etc/hosts.jpg", "a/./b.png"],
)
def test_a_row_outside_the_folder_or_not_an_image_is_refused(
    indexed: tuple[Path, Path], cpu_embedder: Embedder, bad: str
) -> None:
    _, ix = indexed
    _set_paths(ix, {1: bad})
    with pytest.raises(IndexFolderError, match="not images inside") as err:
        open_index(ix, cpu_embedder)
    assert repr(bad) in str(err.value)
    assert "\n" not in str(err.value)


def test_a_row_through_a_link_to_another_folder_is_refused(
    tmp_path: Path, indexed: tuple[Path, Path], cpu_embedder: Embedder
) -> None:
    src, ix = indexed
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "secret.png").write_bytes(b"not the index's")
    os.symlink(tmp_path / "private", src / "outlink")
    _set_paths(ix, {0: "outlink/secret.png"})
    with pytest.raises(IndexFolderError, match="'outlink'"):
        open_index(ix, cpu_embedder)


@pytest.mark.parametrize(
    ("row", "clean"),
    [
        ("a/b.JPG", True),
        ("a..b.jpg", True),
        ("a/.b/c.png", True),
        ("../a.jpg", False),
        ("a/../b.jpg", False),
        ("a/..", False),
        ("./a.png", False),
        ("/a.png", False),
        ("a//b.png", False),
        ("a/", False),
        ("", False),
        ("a\\b.png", False),
        ("a\0b.png", False),
        ("notes.txt", False),
    ],
)
def test_rows_are_checked_all_at_once_and_one_by_one_alike(tmp_path: Path, row: str, clean: bool) -> None:
    from lookalike.engine.index.trust import check_rows

    for rows in ([row], ["ok/x.jpg", row, "z.png"]):
        if clean:
            check_rows(tmp_path / "ix", tmp_path, rows)
        else:
            with pytest.raises(IndexFolderError, match="not images inside"):
                check_rows(tmp_path / "ix", tmp_path, rows)
    absolute = "/" + row  # the rows of a list-file index are absolute, below "/"
    if clean:
        check_rows(tmp_path / "ix", Path("/"), [absolute, "/z.png"])
    elif ".." in row or "//" in absolute or row.endswith("/") or row in ("", "notes.txt") or "\0" in row:
        with pytest.raises(IndexFolderError, match="not images inside"):
            check_rows(tmp_path / "ix", Path("/"), [absolute, "/z.png"])
