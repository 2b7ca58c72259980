"""`lookalike neighbours` and `evaluate` past the FAISS switch-over with the default install, and
without FAISS at all (exact search answers), run in-process so the switch and the import can be set."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lookalike.engine.search import vector_search
from lookalike.engine.search.neighbours import knn

from lookalike.cli.main import main

CLASSES = 18
K = 3


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, image_data: Path) -> Path:
    root = tmp_path_factory.mktemp("big") / "cards"
    for name in sorted(p.name for p in (image_data / "cards").iterdir() if p.is_dir())[:CLASSES]:
        shutil.copytree(image_data / "cards" / name, root / name)
    return root


def cli_json(capsys: pytest.CaptureFixture[str], *args: object) -> dict[str, Any]:
    assert main([*map(str, args), "--json"]) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


@pytest.mark.parametrize("with_faiss", [True, False])
def test_neighbours_and_evaluate_past_the_switch_over(
    with_faiss: bool,
    folder: Path,
    projection_model_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LOOKALIKE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(vector_search, "FAISS_ABOVE", 8)  # this folder counts as a big one
    monkeypatch.setattr(vector_search, "MAX_PROBED_SHARE", 1.0)  # IVF even where few lists are skipped
    if not with_faiss:
        monkeypatch.setitem(sys.modules, "faiss", None)  # `import faiss` raises ImportError
    cli_json(capsys, "embed", folder, "--model", projection_model_path)
    from lookalike.engine.folder.embedding import embed_folder
    from lookalike.engine.model.embedder import Embedder

    emb = embed_folder(folder, Embedder(projection_model_path))
    assert vector_search.searcher_for(emb.vectors).kind == (
        vector_search.FOLDER_KIND if with_faiss else "exact"
    )
    out = cli_json(capsys, "neighbours", folder, "--model", projection_model_path, "-k", K)
    want, _ = knn(emb.vectors, K)
    got = [[emb.paths.index(n["path"]) for n in out["neighbours"][p]] for p in emb.paths]
    hits = np.mean([len(set(g) & set(w)) / K for g, w in zip(got, want.tolist(), strict=True)])
    assert hits >= (vector_search.FOLDER_RECALL - 0.02 if with_faiss else 1.0)
    report = cli_json(capsys, "evaluate", folder, "--model", projection_model_path)
    assert report["n_images"] == len(emb)
    assert 0.0 <= report["precision_at_1"] <= 1.0
