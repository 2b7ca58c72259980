"""`lookalike index` through a real multi-node Ray cluster on this machine (head + worker nodes).

The cluster is Ray's own `ray.cluster_utils.Cluster`: real raylets, real worker processes, small
resources; it is always shut down by the fixture's finalizer, and the module has a time limit.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("ray")
pytest.importorskip("faiss")

from lookalike.engine.errors import LookalikeError
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.index.build import IndexSettings, build_index
from lookalike.engine.index.manifest import read_manifest
from lookalike.engine.index.reader import open_index
from lookalike.engine.index.shards import read_keys, read_vectors
from lookalike.engine.model.bundled import default_model_path, sample_folder
from lookalike.engine.model.embedder import Embedder

from lookalike.cli.main import main
from tests.real_data import count_sample_images

pytestmark = [
    pytest.mark.timeout(240),
    # Ray's own deprecation notices about its own settings (raised inside ray.data), not ours.
    pytest.mark.filterwarnings(r"ignore::DeprecationWarning:ray\..*"),
]
NODE: dict[str, Any] = {"num_cpus": 1, "object_store_memory": 200 * 1024**2}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A head node (no CPUs: it only coordinates) and two one-CPU worker nodes, on 127.0.0.1."""
    import ray
    from ray.cluster_utils import Cluster

    c = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "object_store_memory": 200 * 1024**2, "include_dashboard": False},
    )
    try:
        c.add_node(**NODE)
        c.add_node(**NODE)
        c.wait_for_nodes()
        yield c
    finally:
        ray.shutdown()
        c.shutdown()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """The bundled samples (real images, folder per class) plus one broken file."""
    src = tmp_path / "src"
    shutil.copytree(sample_folder(), src, ignore=shutil.ignore_patterns("*.md"))
    (src / "flag_de" / "broken.jpg").write_bytes(b"not an image")
    return src


def _by_path(paths: list[str], vectors: np.ndarray) -> dict[str, np.ndarray]:
    return dict(zip(paths, vectors, strict=True))


def test_index_equals_single_process_and_grows(
    cluster: Any, source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ix"
    args = ["index", str(source), "--out", str(out), "--ray", cluster.address, "--workers", "2"]
    assert main([*args, "--shard-rows", "20", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    manifest = read_manifest(out)
    single = embed_folder(source, Embedder(default_model_path(), device="cpu"))
    keys, vectors = read_keys(out, manifest), read_vectors(out, manifest)
    assert sorted(keys["path"]) == sorted(single.paths)  # every image once, none twice
    ours, theirs = _by_path(keys["path"], vectors), _by_path(single.paths, single.vectors)
    worst = max(float(np.abs(ours[p] - theirs[p]).max()) for p in theirs)
    assert worst <= 1e-5
    assert (report["n_skipped"], report["n_embedded"]) == (1, count_sample_images())
    assert len(manifest.shards) >= 3
    assert manifest.complete
    assert manifest.ann is not None
    assert manifest.ann["kind"] == "Flat"
    assert set(report["workers"].values()) == {"CPU"}
    # Grow the source: a re-run embeds only the new file and keeps the others.
    shutil.copy(
        source / "flag_it" / sorted(p.name for p in (source / "flag_it").iterdir())[0], source / "new.png"
    )
    assert main([*args, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["n_embedded"], again["n_reused"], again["n_rows"]) == (
        1,
        count_sample_images(),
        count_sample_images() + 1,
    )


def test_neighbours_on_the_index_match_the_folder(
    cluster: Any, source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ix"
    build_index(IndexSettings(source, out, default_model_path(), cluster.address, workers=2))
    assert main(["neighbours", str(out), "-k", "3", "--json"]) == 0
    from_index = json.loads(capsys.readouterr().out)["neighbours"]
    assert main(["neighbours", str(source), "-k", "3", "--json"]) == 0
    from_folder = json.loads(capsys.readouterr().out)["neighbours"]
    assert from_index.keys() == from_folder.keys()
    for q, items in from_folder.items():
        assert [i["path"] for i in from_index[q]] == [i["path"] for i in items]


def test_a_killed_worker_node_loses_and_duplicates_nothing(cluster: Any, tmp_path: Path) -> None:
    src = tmp_path / "many"
    for copy in range(5):  # 5 copies of the samples, so the job is still running when the node dies
        shutil.copytree(sample_folder(), src / f"copy{copy}", ignore=shutil.ignore_patterns("*.md"))
    victim = next(n for n in cluster.worker_nodes)
    killed = threading.Event()
    at_kill: list[int] = []

    def progress(done: int, total: int) -> None:
        if done > 0 and not killed.is_set():
            killed.set()
            at_kill.append(done)
            cluster.remove_node(victim)
            cluster.add_node(**NODE)  # a replacement, as an autoscaler would start

    out = tmp_path / "ix"
    settings = IndexSettings(src, out, default_model_path(), cluster.address, 2, shard_rows=40, batch_size=8)
    report = build_index(settings, progress=progress)
    total = 5 * count_sample_images()
    assert at_kill[0] < total  # the node died mid-job
    keys = read_keys(out, read_manifest(out))
    assert sorted(set(keys["path"])) == sorted(keys["path"])
    assert (len(keys["path"]), report.n_rows, report.duplicates) == (total, total, 0)
    assert not victim.any_processes_alive()  # the node (raylet, object store, workers) really died


def test_an_index_refuses_another_model(
    cluster: Any, source: Path, tmp_path: Path, projection_model_path: Path
) -> None:
    out = tmp_path / "ix"
    build_index(IndexSettings(source, out, default_model_path(), cluster.address, workers=1))
    with pytest.raises(LookalikeError, match="was built with model 'lookalike-embedder'"):
        open_index(out, Embedder(projection_model_path, device="cpu"))
    with pytest.raises(LookalikeError, match="was built with model"):
        build_index(IndexSettings(source, out, projection_model_path, cluster.address, workers=1))


def test_a_stopped_job_leaves_a_consistent_index_that_a_rerun_finishes(cluster: Any, tmp_path: Path) -> None:
    src = tmp_path / "many"
    for copy in range(3):
        shutil.copytree(sample_folder(), src / f"copy{copy}", ignore=shutil.ignore_patterns("*.md"))
    stop = threading.Event()
    out = tmp_path / "ix"
    settings = IndexSettings(src, out, default_model_path(), cluster.address, 2, shard_rows=16, batch_size=8)
    first = build_index(
        settings, progress=lambda done, total: stop.set() if done >= 16 else None, cancel=stop
    )
    assert first.cancelled
    manifest = read_manifest(out)
    assert not manifest.complete  # neighbours refuse it until the rerun finishes
    keys = read_keys(out, manifest)  # every shard the manifest names is whole and readable
    total = 3 * count_sample_images()
    assert 16 <= len(keys["path"]) < total
    assert len(set(keys["path"])) == len(keys["path"])
    with pytest.raises(LookalikeError, match="incomplete"):
        open_index(out, Embedder(default_model_path(), device="cpu"))
    second = build_index(settings)
    assert (second.n_reused, second.n_embedded, second.n_rows) == (
        len(keys["path"]),
        total - len(keys["path"]),
        total,
    )
    assert read_manifest(out).complete
