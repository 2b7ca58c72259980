"""Index folders without Ray: shards, the manifest, re-run planning, list-file sources."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("faiss")

from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.index.build import write_index
from lookalike.engine.index.manifest import read_manifest
from lookalike.engine.index.reader import open_index
from lookalike.engine.index.shards import read_keys, read_vectors
from lookalike.engine.index.source import list_source
from lookalike.engine.index.sync import sync_plan
from lookalike.engine.index.writer import ShardWriter
from lookalike.engine.model.bundled import default_model_path, sample_folder
from lookalike.engine.model.embedder import Embedder

from lookalike.cli.main import main
from tests.real_data import count_sample_images


@pytest.fixture
def indexed(tmp_path: Path, cpu_embedder: Embedder) -> tuple[Path, Path]:
    """(source, index) for the bundled samples, in shards of 20 rows."""
    src = tmp_path / "src"
    shutil.copytree(sample_folder(), src, ignore=shutil.ignore_patterns("*.md"))
    write_index(tmp_path / "ix", embed_folder(src, cpu_embedder), cpu_embedder, shard_rows=20)
    return src, tmp_path / "ix"


def test_shards_hold_every_vector_once(indexed: tuple[Path, Path], cpu_embedder: Embedder) -> None:
    src, ix = indexed
    manifest = read_manifest(ix)
    n = count_sample_images()
    assert [s.rows for s in manifest.shards] == [20] * (n // 20) + ([n % 20] if n % 20 else [])
    folder = embed_folder(src, cpu_embedder)
    keys, vectors = read_keys(ix, manifest), read_vectors(ix, manifest)
    assert keys["path"] == folder.paths
    np.testing.assert_array_equal(vectors, folder.vectors)
    opened = open_index(ix, cpu_embedder)
    assert opened.labels == folder.labels
    assert opened.abs_path(0) == src.resolve() / folder.paths[0]


def test_a_rerun_plans_only_changed_and_new_files(indexed: tuple[Path, Path]) -> None:
    src, ix = indexed
    changed = sorted((src / "flag_it").iterdir())[0]
    changed.write_bytes(changed.read_bytes() + b"\0")  # size and mtime move
    removed = sorted((src / "flag_kr").iterdir())[0]
    removed.unlink()
    shutil.copy(changed, src / "new.png")
    plan = sync_plan(ix, read_manifest(ix), list_source(src))
    assert sorted(e.rel_path for e in plan.todo) == sorted(["new.png", changed.relative_to(src).as_posix()])
    assert plan.n_dropped == 2  # the changed file's old row and the removed file's row
    assert sum(int((~m).sum()) for m in plan.keep_masks.values()) == 2


def test_a_file_rewritten_with_its_mtime_put_back_is_embedded_again(indexed: tuple[Path, Path]) -> None:
    """The index knows a file by the embedding cache's identity (ctime and inode too), not size+mtime."""
    src, ix = indexed
    victim = sorted((src / "flag_it").iterdir())[0]
    other = sorted((src / "flag_kr").iterdir())[0]
    before = victim.stat()
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF  # same size, different picture bytes
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(before.st_atime_ns, before.st_mtime_ns))  # mtime put back (cp -p, touch -r)
    assert (victim.stat().st_size, victim.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    plan = sync_plan(ix, read_manifest(ix), list_source(src))
    assert [e.rel_path for e in plan.todo] == [victim.relative_to(src).as_posix()]
    assert plan.n_dropped == 1
    assert other.relative_to(src).as_posix() not in {e.rel_path for e in plan.todo}


def test_shards_from_before_identities_are_embedded_again(indexed: tuple[Path, Path]) -> None:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    src, ix = indexed
    manifest = read_manifest(ix)
    for shard in manifest.shards:
        path = ix / "shards" / shard.file
        pq.write_table(pq.read_table(path).drop_columns(["identity"]), path)
    plan = sync_plan(ix, manifest, list_source(src))
    assert len(plan.todo) == count_sample_images()


def test_a_row_delivered_twice_is_kept_once(tmp_path: Path, indexed: tuple[Path, Path]) -> None:
    _, ix = indexed
    manifest = read_manifest(ix).with_changes(shards=(), ann=None)
    writer = ShardWriter(tmp_path / "out", manifest, 100, [])
    (tmp_path / "out").mkdir()
    vec = np.ones((2, manifest.embedding_dim), np.float32)
    block = {
        "rel": np.array(["a.png", "a.png"], object),
        "size": np.array([1, 1]),
        "mtime": np.array([2, 2]),
        "identity": np.array(["1:2:3:4:", "1:2:3:4:"], object),
        "label": np.array(["", ""], object),
        "vector": vec,
        "error": np.array(["", ""], object),
        "worker": np.array(["h:1 CPU", "h:1 CPU"], object),
    }
    writer.add_block(block)
    written = writer.flush()
    assert (writer.duplicates, written.n_rows) == (1, 1)


def test_a_list_file_names_images_relative_to_itself(tmp_path: Path) -> None:
    src = tmp_path / "imgs" / "cats"
    src.mkdir(parents=True)
    one = sorted((sample_folder() / "flag_de").iterdir())[0]
    shutil.copy(one, src / "a.png")
    listing = tmp_path / "list.txt"
    listing.write_text("# my images\nimgs/cats/a.png\n\nimgs/cats/missing.png\n", encoding="utf-8")
    got = list_source(listing)
    assert [(e.rel_path, e.label) for e in got.entries] == [(os.path.abspath(src / "a.png"), "cats")]
    assert [s.path for s in got.skipped] == [os.path.abspath(src / "missing.png")]
    assert str(got.root / got.entries[0].rel_path) == os.path.abspath(src / "a.png")


def test_an_index_refuses_another_source(indexed: tuple[Path, Path], projection_model_path: Path) -> None:
    from lookalike.engine.errors import LookalikeError
    from lookalike.engine.index.build import IndexSettings, build_index

    src, ix = indexed
    other = src.parent / "other"
    shutil.copytree(src / "flag_de", other / "flag_de")
    with pytest.raises(LookalikeError, match="was built from"):
        build_index(IndexSettings(other, ix, projection_model_path))
    assert read_manifest(ix).n_rows == count_sample_images()  # untouched


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _fewer_rows(path: Path) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    pq.write_table(table.slice(0, table.num_rows - 1), path)


def _other_faiss(path: Path) -> None:
    """A valid FAISS file of the right width but another index's size (3 rows)."""
    import faiss

    old = faiss.read_index(str(path))
    new = faiss.IndexFlatL2(old.d)
    new.add(old.reconstruct_n(0, 3))
    faiss.write_index(new, str(path))


DAMAGE = {
    "truncated shard": (lambda ix: next((ix / "shards").iterdir()), _truncate),
    "shard with a row missing": (lambda ix: next((ix / "shards").iterdir()), _fewer_rows),
    "truncated FAISS file": (lambda ix: ix / "vectors.faiss", _truncate),
    "FAISS file gone": (lambda ix: ix / "vectors.faiss", lambda p: p.unlink()),
    "FAISS file of another row count": (lambda ix: ix / "vectors.faiss", _other_faiss),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_index_file_is_one_line_naming_it(
    indexed: tuple[Path, Path], damage: str, cpu_embedder: Embedder
) -> None:
    """Bad input, not a bug: the CLI prints a LookalikeError as one line (never "please report it")."""
    from lookalike.engine.errors import LookalikeError

    _, ix = indexed
    which, harm = DAMAGE[damage]
    victim = which(ix)
    harm(victim)
    with pytest.raises(LookalikeError) as caught:
        open_index(ix, cpu_embedder)
    assert victim.name in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1


def test_a_few_files_with_no_cluster_named_are_embedded_here_as_ray_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lookalike index` with the default --ray auto on a small source: no Ray start (seconds saved),
    the same rows, vectors, skipped files and finished index as the cluster path gives."""
    ray = pytest.importorskip("ray")
    src = tmp_path / "src"
    shutil.copytree(sample_folder(), src, ignore=shutil.ignore_patterns("*.md"))
    (src / "flag_de" / "broken.jpg").write_bytes(b"not an image")
    out = tmp_path / "ix"
    assert main(["index", str(src), "--out", str(out), "--shard-rows", "20", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert not ray.is_initialized()
    assert (report["n_embedded"], report["n_skipped"]) == (count_sample_images(), 1)
    manifest = read_manifest(out)
    assert manifest.complete
    assert manifest.ann is not None
    single = embed_folder(src, Embedder(default_model_path(), device="cpu"))  # the command's model
    keys, vectors = read_keys(out, manifest), read_vectors(out, manifest)
    assert sorted(keys["path"]) == sorted(single.paths)
    ours = dict(zip(keys["path"], vectors, strict=True))
    assert (
        max(float(np.abs(ours[p] - v).max()) for p, v in zip(single.paths, single.vectors, strict=True))
        <= 1e-5
    )
