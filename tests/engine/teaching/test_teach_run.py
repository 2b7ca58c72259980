"""The teaching command line, its event lines, when a folder can be taught, and held-out figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.metrics.retrieval import retrieval_metrics
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.teaching.teach_run import (
    TeachPlan,
    after_figures,
    before_figures,
    parse_event,
    teach_command,
    teachable,
)


def test_command_line_has_budget_progress_and_marks(tmp_path: Path) -> None:
    plan = TeachPlan(tmp_path / "f", tmp_path / "run", 2.5, tmp_path / "m.json", ("--backbone", "compact"))
    cmd = teach_command(plan)
    assert cmd[1:4] == ["-m", "lookalike", "train"]
    joined = " ".join(cmd)
    assert "--max-minutes 2.5" in joined
    assert "--progress-json" in cmd
    assert f"--marks {tmp_path / 'm.json'}" in joined
    assert cmd[-2:] == ["--backbone", "compact"]
    assert "--marks" not in teach_command(TeachPlan(tmp_path, tmp_path, 1.0))


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('{"event": "epoch", "epoch": 1}\n', "epoch"),
        ("training speed: 12 images/s", None),
        ("{not json", None),
        ('{"no_event": 1}', None),
        ("[1, 2]", None),
    ],
)
def test_parse_event(line: str, kind: str | None) -> None:
    event = parse_event(line)
    assert (event or {}).get("event") == kind


def test_teachable_needs_classes_or_marks(cpu_embedder: Embedder, tmp_path: Path) -> None:
    from lookalike.engine.model.bundled import sample_folder

    emb = embed_folder(sample_folder(), cpu_embedder)
    assert teachable(emb, 0) is None
    flat = tmp_path / "flat"
    flat.mkdir()
    for i, src in enumerate(sorted(sample_folder().glob("*/*.jpg"))[:6]):
        (flat / f"{i}.jpg").write_bytes(src.read_bytes())
    loose = embed_folder(flat, cpu_embedder)
    assert "class folders" in (teachable(loose, 0) or "")
    assert teachable(loose, 8) is None


def test_before_and_after_score_the_same_images(cpu_embedder: Embedder) -> None:
    from lookalike.engine.model.bundled import sample_folder

    emb = embed_folder(sample_folder(), cpu_embedder)
    classes = ["flag_de", "flag_it", "10_of_hearts"]
    before = before_figures(emb, classes)
    after = after_figures(cpu_embedder, emb, classes)  # the same model: the same figures
    rows = [i for i, lab in enumerate(emb.labels) if lab in classes]
    want = retrieval_metrics(emb.vectors[rows], [emb.labels[r] for r in rows])
    assert before is not None
    assert after is not None
    assert before.n_images == after.n_images == len(rows) > 0
    assert before.precision_at_1 == pytest.approx(want.precision_at_1)
    assert after.map_at_r == pytest.approx(before.map_at_r, abs=1e-6)
    assert np.isfinite(after.precision_at_1)
