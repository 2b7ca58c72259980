"""`lookalike explain`: writes the overlay picture and a JSON answer that agrees with compare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lookalike.engine.model.bundled import sample_folder
from PIL import Image

from lookalike.cli.main import main


def test_explain_writes_overlay_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = sorted((sample_folder() / "flag_it").iterdir())[:2]
    out = tmp_path / "overlay.png"
    assert main(["explain", str(a), str(b), "--out", str(out), "--json", "--device", "cpu"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert main(["compare", str(a), str(b), "--json", "--device", "cpu"]) == 0
    compared = json.loads(capsys.readouterr().out)
    assert answer["distance"] == compared["distance"]
    with Image.open(out) as pic:
        assert pic.height == 320
        assert pic.width > 320
    box = answer["hot_box_a"]
    assert box is not None
    assert 0 <= box[0] < box[2] <= 1
    assert 0 <= box[1] < box[3] <= 1


def big_jpeg(source: Path, out: Path) -> Path:
    """A real card scaled up past twice the model's input, so both commands decode it at reduced size."""
    with Image.open(source) as img:
        img.convert("RGB").resize((img.width * 8, img.height * 8)).save(out, quality=92)
    return out


def test_explain_and_compare_print_the_same_distance(
    tmp_path: Path, image_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cards = image_data / "cards"
    spades = sorted((cards / "1_of_spades").iterdir())
    pairs = [
        (spades[0], spades[1]),  # same class
        (spades[2], sorted((cards / "2_of_hearts").iterdir())[0]),  # different classes
        (sorted((image_data / "flags").rglob("*.png"))[0], spades[3]),  # PNG against JPEG
        (big_jpeg(spades[4], tmp_path / "big.jpg"), spades[5]),  # reduced JPEG decode
    ]
    for i, (a, b) in enumerate(pairs):
        out = tmp_path / f"o{i}.png"
        assert main(["explain", str(a), str(b), "--out", str(out), "--json", "--device", "cpu"]) == 0
        explained = json.loads(capsys.readouterr().out)["distance"]
        assert main(["compare", str(a), str(b), "--json", "--device", "cpu"]) == 0
        compared = json.loads(capsys.readouterr().out)["distance"]
        assert explained == compared, (a.name, b.name)


def test_explain_missing_file_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = sorted((sample_folder() / "flag_it").iterdir())[0]
    code = main(["explain", str(a), str(tmp_path / "nope.jpg"), "--out", str(tmp_path / "o.png")])
    assert code == 2
    assert "nope.jpg" in capsys.readouterr().err


@pytest.mark.parametrize("size", [(5000, 1), (1, 5000), (20000, 3)])
def test_explain_on_a_strip_writes_a_capped_picture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], size: tuple[int, int]
) -> None:
    """A 1×5000 strip once made a 1,600,213 × 320 PNG (4.2 GB of memory); 1×20000 a MemoryError."""
    from lookalike.engine.explain.heat_overlay import MAX_PANEL_WIDTH

    strip = tmp_path / "strip.png"
    Image.new("RGB", size, (200, 30, 30)).save(strip)
    other = sorted((sample_folder() / "flag_it").iterdir())[0]
    out = tmp_path / "overlay.png"
    assert main(["explain", str(strip), str(other), "--out", str(out), "--device", "cpu"]) == 0, (
        capsys.readouterr()
    )
    with Image.open(out) as pic:
        assert pic.height == 320
        assert pic.width <= 2 * MAX_PANEL_WIDTH + 8
