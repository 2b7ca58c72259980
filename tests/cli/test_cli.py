"""The `lookalike` command end to end, as a subprocess, on the real cards set: JSON out, errors as exit 2."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.search.distances import distance

from tests.real_data import card_classes

REPO = Path(__file__).resolve().parents[2]
SMALL_CLASSES = ("1_of_hearts", "5_of_clubs", "jack_of_diamonds", "king_of_spades")


@pytest.fixture(scope="session")
def cli_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the whole session: cards are embedded once, later commands read the cache."""
    return tmp_path_factory.mktemp("cli-cache")


def card_files(data: Path) -> list[Path]:
    return [p for p in (data / "cards").rglob("*") if p.is_file()]


def run(cache: Path, *args: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LOOKALIKE_CACHE_DIR=str(cache))
    env.pop("LOOKALIKE_MODEL", None)
    return subprocess.run(
        [sys.executable, "-m", "lookalike.cli.main", *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def run_json(cache: Path, *args: object) -> dict[str, Any]:
    proc = run(cache, *args, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)  # exactly one JSON document on stdout
    return out


@pytest.fixture(scope="session")
def small_folder(tmp_path_factory: pytest.TempPathFactory, image_data: Path) -> Path:
    """Four card classes plus one broken file, for the commands that need no full set."""
    root = tmp_path_factory.mktemp("small") / "cards4"
    for name in SMALL_CLASSES:
        shutil.copytree(image_data / "cards" / name, root / name)
    (root / SMALL_CLASSES[0] / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    return root


@pytest.fixture(scope="session")
def cards_report(cli_cache: Path, projection_model_path: Path, image_data: Path) -> dict[str, Any]:
    return run_json(cli_cache, "evaluate", image_data / "cards", "--model", projection_model_path)


def test_evaluate_cards_json(cards_report: dict[str, Any], image_data: Path) -> None:
    assert cards_report["n_images"] == len(card_files(image_data))
    assert cards_report["n_classes"] == len(card_classes())
    assert cards_report["skipped"] == []
    assert cards_report["provider"] in ("CPU", "CUDA")
    for key in ("precision_at_1", "r_precision", "mean_average_precision_at_r", "roc_auc", "eer"):
        assert 0.0 <= cards_report[key] <= 1.0, key
    # A random projection of pixels is weak but far better than chance (1/classes) on cards.
    assert cards_report["precision_at_1"] > 2 / cards_report["n_classes"]
    assert cards_report["roc_auc"] > 0.5
    assert set(cards_report["val_at_far"]) == {"1e-4", "1e-3", "1e-2"}
    assert all(0.0 <= v <= 1.0 for v in cards_report["val_at_far"].values())
    assert cards_report["val_at_far"]["1e-3"] <= cards_report["val_at_far"]["1e-2"]
    assert cards_report["best_threshold"] > 0.0


def test_embed_json_reuses_the_cache(
    cards_report: dict[str, Any],
    cli_cache: Path,
    projection_model_path: Path,
    image_data: Path,
    tmp_path: Path,
) -> None:
    out = run_json(
        cli_cache,
        "embed",
        image_data / "cards",
        "--model",
        projection_model_path,
        "--out",
        tmp_path / "v.npz",
    )
    n_files = len(card_files(image_data))
    assert (out["n_embedded"], out["n_cached"]) == (0, n_files)  # evaluate already embedded them
    assert out["skipped"] == []
    assert out["provider"] == cards_report["provider"]
    with np.load(tmp_path / "v.npz") as data:
        assert data["vectors"].shape == (n_files, 48)
        assert sorted(set(data["labels"].tolist())) == card_classes()


def test_embed_reports_skipped_files(
    cli_cache: Path, projection_model_path: Path, small_folder: Path
) -> None:
    out = run_json(cli_cache, "embed", small_folder, "--model", projection_model_path)
    n_good = sum(1 for p in small_folder.rglob("*.jpg")) - 1
    assert out["n_images"] == n_good
    assert out["n_embedded"] + out["n_cached"] == n_good
    assert len(out["skipped"]) == 1
    assert set(out["skipped"][0]) == {"path", "reason"}
    assert out["skipped"][0]["path"] == f"{SMALL_CLASSES[0]}/broken.jpg"
    assert out["skipped"][0]["reason"]
    assert not any(p.suffix == ".npz" for p in small_folder.rglob("*"))


def test_compare_json_matches_the_engine(
    cli_cache: Path, projection_model_path: Path, image_data: Path
) -> None:
    same = sorted((image_data / "cards" / "queen_of_hearts").iterdir())[:2]
    other = sorted((image_data / "cards" / "2_of_clubs").iterdir())[0]
    embedder = Embedder(projection_model_path, device="cpu")
    for a, b in ((same[0], same[1]), (same[0], other)):
        out = run_json(cli_cache, "compare", a, b, "--model", projection_model_path)
        want = distance(embedder.embed_file(a), embedder.embed_file(b))
        assert out["distance"] == pytest.approx(want, abs=1e-5)
        assert out["threshold"] == embedder.manifest.default_threshold
        assert out["match"] == (want < out["threshold"])
    d = distance(embedder.embed_file(same[0]), embedder.embed_file(other))
    out = run_json(
        cli_cache, "compare", same[0], other, "--model", projection_model_path, "--threshold", d + 0.01
    )
    assert (out["threshold"], out["match"]) == (pytest.approx(d + 0.01), True)


def test_compare_plain_text(cli_cache: Path, projection_model_path: Path, image_data: Path) -> None:
    a, b = sorted((image_data / "cards" / "queen_of_hearts").iterdir())[:2]
    proc = run(cli_cache, "compare", a, b, "--model", projection_model_path)
    assert proc.returncode == 0
    default = Embedder(projection_model_path, device="cpu").manifest.default_threshold  # a FAR point
    assert default != 0.9  # not the model's best_accuracy
    pattern = rf"distance \d+\.\d{{4}}  threshold {re.escape(f'{default:.4f}')}  (MATCH|no match)\n"
    assert re.fullmatch(pattern, proc.stdout)


def test_neighbours_of_a_query_inside_the_folder(
    cards_report: dict[str, Any], cli_cache: Path, projection_model_path: Path, image_data: Path
) -> None:
    folder = image_data / "cards"
    query = sorted((folder / "8_of_spades").iterdir())[3]
    out = run_json(
        cli_cache, "neighbours", folder, "--query", query, "-k", 7, "--model", projection_model_path
    )
    assert out["k"] == 7
    (answer,) = out["neighbours"].values()
    assert len(answer) == 7
    assert query.relative_to(folder).as_posix() not in [n["path"] for n in answer]
    dists = [n["distance"] for n in answer]
    assert dists == sorted(dists)
    embedder = Embedder(projection_model_path, device="cpu")
    q = embedder.embed_file(query)
    for n in answer[:3]:
        assert n["distance"] == pytest.approx(distance(q, embedder.embed_file(folder / n["path"])), abs=1e-4)


def test_neighbours_of_an_outside_query_and_of_every_image(
    cli_cache: Path, projection_model_path: Path, small_folder: Path, image_data: Path
) -> None:
    inside = sorted((small_folder / SMALL_CLASSES[1]).glob("*.jpg"))[0]
    outside = image_data / "cards" / SMALL_CLASSES[1] / inside.name  # same picture, outside the folder
    out = run_json(
        cli_cache, "neighbours", small_folder, "--query", outside, "-k", 3, "--model", projection_model_path
    )
    (answer,) = out["neighbours"].values()
    assert answer[0]["path"] == inside.relative_to(small_folder).as_posix()
    assert answer[0]["distance"] == pytest.approx(0.0, abs=1e-5)
    every = run_json(cli_cache, "neighbours", small_folder, "-k", 2, "--model", projection_model_path)
    assert len(every["neighbours"]) == out["n_images"]
    for path, items in every["neighbours"].items():
        assert len(items) == 2
        assert path not in [n["path"] for n in items]


def test_map_writes_an_offline_page(
    cli_cache: Path, projection_model_path: Path, small_folder: Path, tmp_path: Path
) -> None:
    page = tmp_path / "map.html"
    out = run_json(cli_cache, "map", small_folder, "--html", page, "--model", projection_model_path)
    assert out["html"] == str(page)
    assert out["mapped"] == out["n_images"]
    text = page.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in text
    assert "cdn.plot.ly/plotly" not in text
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, flags=re.IGNORECASE)
    for name in SMALL_CLASSES:
        assert f'"name":"{name}"' in text


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("lookalike: error: ")
    return lines[0]


def test_missing_folder_is_one_error_line(
    cli_cache: Path, projection_model_path: Path, tmp_path: Path
) -> None:
    for command in ("evaluate", "embed", "neighbours"):
        line = _one_error_line(
            run(cli_cache, command, tmp_path / "nope", "--model", projection_model_path, "--json")
        )
        assert "folder not found" in line
        assert "nope" in line


def test_bad_model_is_one_error_line(cli_cache: Path, small_folder: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"definitely not an onnx model" * 4)
    line = _one_error_line(run(cli_cache, "embed", small_folder, "--model", junk))
    assert "not a loadable ONNX model" in line
    line = _one_error_line(run(cli_cache, "evaluate", small_folder, "--model", tmp_path / "absent.onnx"))
    assert "model file not found" in line


def test_unreadable_image_in_compare_is_one_error_line(
    cli_cache: Path, projection_model_path: Path, small_folder: Path
) -> None:
    good = sorted((small_folder / SMALL_CLASSES[1]).glob("*.jpg"))[0]
    line = _one_error_line(
        run(
            cli_cache,
            "compare",
            good,
            small_folder / SMALL_CLASSES[0] / "broken.jpg",
            "--model",
            projection_model_path,
        )
    )
    assert "broken.jpg" in line


def test_evaluate_on_one_class_fails_cleanly(
    cli_cache: Path, projection_model_path: Path, small_folder: Path
) -> None:
    proc = run(
        cli_cache, "evaluate", small_folder / SMALL_CLASSES[1], "--model", projection_model_path, "--json"
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("lookalike: error: ")
    assert "class" in proc.stderr.splitlines()[-1]


def test_building_the_parser_imports_neither_torch_nor_qt() -> None:
    """Every `lookalike` call builds the full parser (gui/train entry points included): it must stay light."""
    code = (
        "import json, sys\n"
        "from lookalike.cli.main import build_parser\n"
        "names = build_parser()._subparsers._group_actions[0].choices\n"
        "heavy = [m for m in ('torch', 'PySide6') if m in sys.modules]\n"
        "print(json.dumps({'commands': sorted(names), 'heavy': heavy}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {"embed", "compare", "neighbours", "evaluate", "map"} <= set(out["commands"])
    assert out["heavy"] == []


def test_evaluate_plain_text(cli_cache: Path, projection_model_path: Path, small_folder: Path) -> None:
    proc = run(cli_cache, "evaluate", small_folder, "--model", projection_model_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for key in ("precision_at_1", "r_precision", "mean_average_precision_at_r", "roc_auc", "eer"):
        assert any(re.fullmatch(rf"{key}\s+\d\.\d{{4}}", line) for line in lines), key
    assert any(line.startswith("VAL@FAR=1e-3") for line in lines)
    assert lines[-1].endswith(f"images, {len(SMALL_CLASSES)} classes")
    assert "skipped 1 file(s)" in proc.stderr
