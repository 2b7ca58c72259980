"""`lookalike neighbours` says of every neighbour whether it matches, as `compare` would."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from lookalike.engine.model.embedder import Embedder

from lookalike.cli.main import main


@pytest.fixture
def folder(tmp_path: Path, image_data: Path) -> Path:
    root = tmp_path / "cards"
    for name in ("1_of_spades", "2_of_hearts", "king_of_diamonds"):
        shutil.copytree(image_data / "cards" / name, root / name)
    return root


def test_neighbours_print_a_verdict_that_agrees_with_compare(
    folder: Path, projection_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = sorted((folder / "2_of_hearts").iterdir())[0]
    model = ["--model", str(projection_model_path), "--device", "cpu"]
    assert main(["neighbours", str(folder), "--query", str(query), "-k", "6", "--json", *model]) == 0
    out = json.loads(capsys.readouterr().out)
    default = Embedder(projection_model_path, device="cpu").manifest.default_threshold
    assert out["threshold"] == default
    (items,) = out["neighbours"].values()
    middle = (items[2]["distance"] + items[3]["distance"]) / 2  # a threshold that splits the answer
    for item in items[:2]:
        assert main(["compare", str(query), str(folder / item["path"]), "--json", *model]) == 0
        assert json.loads(capsys.readouterr().out)["match"] == item["match"]

    argv = ["neighbours", str(folder), "--query", str(query), "-k", "6", "--threshold", f"{middle}", *model]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    verdicts = [re.fullmatch(r"  \d\.\d{4}  (MATCH   |no match)  \S.*", line) for line in lines]
    assert all(verdicts), lines
    assert [v.group(1).strip() for v in verdicts if v] == ["MATCH"] * 3 + ["no match"] * 3
