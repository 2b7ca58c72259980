"""Issue 10, defect 1: no command overwrites an input image or writes inside the folder it reads."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.errors import LookalikeError
from lookalike.engine.io.output_paths import check_output_path, write_output
from lookalike.engine.model.bundled import sample_folder

from lookalike.cli.main import main


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    for cls in ("10_of_hearts", "flag_de", "flag_it"):
        shutil.copytree(sample_folder() / cls, root / cls)
    return root


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _run(*argv: object, model: Path) -> int:
    return main([*map(str, argv), "--model", str(model), "--device", "cpu"])


def test_map_html_onto_an_image_of_the_folder_is_refused(photos: Path, projection_model_path: Path) -> None:
    """The issue's case: `map FOLDER --html FOLDER/cls/a.jpg` replaced the JPEG with 4.8 MB of HTML."""
    before = _digest(photos)
    victim = sorted((photos / "10_of_hearts").iterdir())[0]
    assert _run("map", photos, "--html", victim, "--force", model=projection_model_path) == 2
    assert _run("map", photos, "--html", victim.with_suffix(".html"), model=projection_model_path) == 2
    assert _digest(photos) == before


def test_a_link_out_of_the_folder_that_points_back_into_it_is_refused(
    photos: Path, tmp_path: Path, projection_model_path: Path
) -> None:
    before = _digest(photos)
    victim = sorted((photos / "flag_de").iterdir())[0]
    (tmp_path / "innocent.npz").symlink_to(victim)
    assert (
        _run("embed", photos, "--out", tmp_path / "innocent.npz", "--force", model=projection_model_path) == 2
    )
    assert _digest(photos) == before


def test_a_hard_link_to_an_input_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"png")
    os.link(image, tmp_path / "a.html")
    with pytest.raises(LookalikeError, match="input"):
        check_output_path(tmp_path / "a.html", reads=[image], suffixes=[".html"], flag="--html", force=True)


def test_outputs_replace_their_own_kind_and_other_files_only_with_force(
    photos: Path, tmp_path: Path, projection_model_path: Path
) -> None:
    out = tmp_path / "out" / "deeper" / "vectors.npz"  # missing parents are created
    assert _run("embed", photos, "--out", out, model=projection_model_path) == 0
    with np.load(out) as data:
        assert len(data["vectors"]) == sum(1 for p in photos.rglob("*") if p.is_file())
    assert _run("embed", photos, "--out", out, model=projection_model_path) == 0  # its own output
    notes = tmp_path / "notes.npz"
    notes.write_text("someone's file")
    assert _run("embed", photos, "--out", notes, model=projection_model_path) == 2
    assert notes.read_text() == "someone's file"
    assert _run("embed", photos, "--out", notes, "--force", model=projection_model_path) == 0
    assert not list(out.parent.glob(".*.part"))  # no temp file left beside the output


def test_embed_out_is_written_exactly_where_it_says(
    photos: Path, tmp_path: Path, projection_model_path: Path
) -> None:
    """`--out x.png` said it wrote x.png but wrote x.png.npz; now the name is refused, and an
    accepted name is written as given (numpy adds no suffix to a file handle)."""
    assert _run("embed", photos, "--out", tmp_path / "x.png", model=projection_model_path) == 2
    assert not list(tmp_path.glob("x.png*"))
    assert _run("embed", photos, "--out", tmp_path / "x.NPZ", model=projection_model_path) == 0
    assert [p.name for p in tmp_path.glob("x.*")] == ["x.NPZ"]


def test_a_failed_write_leaves_no_half_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    target.write_text("old page")

    def fail(fh: object) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(LookalikeError, match="No space left on device"):
        write_output(target, fail, "--html")
    assert target.read_text() == "old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


def test_app_exports_go_through_the_same_guard(photos: Path, tmp_path: Path) -> None:
    """The app's CSV/JSON export (a file dialog) may replace a file, but never an input image."""
    from lookalike.engine.io.exports import ExportTable, write_export

    table = ExportTable(columns=("a",), rows=[(1,)], document={"a": [1]})
    before = _digest(photos)
    with pytest.raises(LookalikeError, match="inside the folder being read"):
        write_export(table, photos / "flag_de" / "pairs.csv", reads=[photos])
    victim = sorted((photos / "flag_de").iterdir())[0]
    (tmp_path / "looks.json").symlink_to(victim)
    with pytest.raises(LookalikeError, match="inside the folder being read"):  # a link into it
        write_export(table, tmp_path / "looks.json", reads=[photos])
    assert _digest(photos) == before
    assert (
        write_export(table, tmp_path / "pairs.csv", reads=[photos]).read_bytes() == b"a\n1\n"
    )  # LF, as the CLI writes
