"""Every file of the bad-image corpus is embedded or listed with a reason: no crash, no hang."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.errors import ImageLoadError, MetricsError
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.folder.scan import scan_folder
from lookalike.engine.images.loading import load_image
from lookalike.engine.metrics.evaluation import evaluate
from lookalike.engine.model.embedder import Embedder
from PIL import Image

from tests.engine.bad_corpus import (
    OK,
    SKIPPED,
    STORED_FOR_ORIENTATION,
    corrupt_exif_jpeg,
    encoded,
    eps_text,
    exif_rotated_jpeg,
    exif_rotated_photo,
    make_bad_corpus,
    sample_rgb,
    unlock_corpus,
)

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)  # a hang (FIFO, symlink loop) fails instead of blocking the suite


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("corpus")
    expected = make_bad_corpus(folder)
    yield folder, expected
    unlock_corpus(folder)


@pytest.fixture(scope="module")
def embedder(projection_model_path: Path) -> Embedder:
    return Embedder(projection_model_path, device="cpu")


def test_every_file_is_embedded_or_listed_with_a_reason(
    corpus: tuple[Path, dict[str, str]], embedder: Embedder
) -> None:
    folder, expected = corpus
    result = embed_folder(folder, embedder)
    reasons = {s.path: s.reason for s in result.skipped}
    assert set(result.paths) == {p for p, v in expected.items() if v == OK}
    assert set(reasons) == {p for p, v in expected.items() if v == SKIPPED}
    for path, reason in reasons.items():
        assert reason.strip(), path
        assert "\n" not in reason, path
    assert np.isfinite(result.vectors).all()
    assert np.allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-5)


REASONS = {
    "bad/empty.jpg": "empty file",
    "bad/text.jpg": "not an image",
    "bad/png_bad_crc.png": "corrupt PNG",
    "bad/bomb_huge.png": "too large",
    "bad/bomb_over_limit.png": "too large",
    "bad/bomb_huge.jpg": "too large",
    "bad/png_text_bomb.png": "too large",
    "bad/postscript.jpg": "PostScript/EPS file: not an allowed image format",
    "bad/ico_not_allowed.png": "not an allowed image format",
    "bad/pcx_not_allowed.png": "outside the allowed list",
    "bad/jpeg_cut_60pct.jpg": "truncated",
    "bad/png_cut_50pct_of_pixels.png": "truncated",
    "bad/heic_cut_50pct.heic": "truncated",
    "bad/avif_cut_50pct.avif": "corrupt AVIF",
    "bad/heic_cut_in_header.heic": "corrupt HEIF",
    "special/dangling.jpg": "dangling symlink",
    "special/self_loop.jpg": "symlink loop",
    "special/fifo.jpg": "not a regular file",
    "special/zero_device.jpg": "not a regular file",
}


def test_reasons_say_what_is_wrong(corpus: tuple[Path, dict[str, str]]) -> None:
    folder, _ = corpus
    entries, skipped = scan_folder(folder)
    reasons = {s.path: s.reason for s in skipped}
    for entry in entries:
        try:
            load_image(folder / entry.rel_path, min_side=24)
        except ImageLoadError as exc:
            reasons[entry.rel_path] = str(exc)
    for path, words in REASONS.items():
        assert words in reasons[path], (path, reasons[path])


def test_load_image_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageLoadError, match="not a regular file"):
        load_image(fifo)


@pytest.mark.parametrize("orientation", sorted(STORED_FOR_ORIENTATION))
def test_exif_rotated_jpeg_embeds_as_the_upright_picture(
    tmp_path: Path, embedder: Embedder, orientation: int
) -> None:
    path = tmp_path / "rotated.jpg"
    path.write_bytes(exif_rotated_jpeg(orientation))
    with Image.open(path) as raw:
        stored = raw.convert("RGB")
    inverse = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_270, 8: Image.Transpose.ROTATE_90}
    upright = stored.transpose(inverse[orientation]) if orientation in inverse else stored
    loaded = load_image(path)
    assert loaded.size == (sample_rgb().size if orientation in inverse else stored.size)
    assert np.array_equal(np.asarray(loaded), np.asarray(upright))
    assert np.allclose(embedder.embed_file(path), embedder.embed_image(upright), atol=1e-6)
    if orientation in inverse:  # the rotation matters: the stored picture embeds differently
        assert not np.allclose(embedder.embed_file(path), embedder.embed_image(stored), atol=1e-3)


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_exif_rotated_heic_and_avif_load_upright(tmp_path: Path, embedder: Embedder, fmt: str) -> None:
    """Phone photos: the decoder or exif_transpose turns them upright, never both and never neither."""
    path = tmp_path / f"rotated.{fmt.lower()}"
    path.write_bytes(exif_rotated_photo(fmt, 6))
    loaded = load_image(path)
    assert loaded.size == sample_rgb().size  # stored 36x48, shown 48x36
    upright = np.asarray(sample_rgb(), np.float64)
    assert np.abs(np.asarray(loaded, np.float64) - upright).mean() < 12  # lossy codec, same picture
    sideways = np.asarray(sample_rgb().transpose(Image.Transpose.ROTATE_180), np.float64)
    assert np.abs(np.asarray(loaded, np.float64) - sideways).mean() > 30
    assert np.allclose(np.linalg.norm(embedder.embed_file(path)), 1.0, atol=1e-5)


def test_corrupt_exif_keeps_the_pixels_or_raises_the_documented_error(tmp_path: Path) -> None:
    """Pillow warns on a cut EXIF block: with warnings shown (the app) the image loads as stored;
    with warnings as errors (this suite) the warning becomes an ImageLoadError, never a crash."""
    path = tmp_path / "cut_exif.jpg"
    path.write_bytes(corrupt_exif_jpeg())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert load_image(path).size == sample_rgb().size
    with pytest.raises(ImageLoadError, match="Corrupt EXIF"):
        load_image(path)


def test_no_ghostscript_is_ever_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake `gs` first on PATH leaves a mark if any decoder calls it; the EPS file must not."""
    from PIL import EpsImagePlugin

    bin_dir, mark = tmp_path / "bin", tmp_path / "gs-was-run"
    bin_dir.mkdir()
    fake = bin_dir / "gs"
    fake.write_text(f"#!/bin/sh\ntouch '{mark}'\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(EpsImagePlugin, "gs_binary", None)
    monkeypatch.setattr(EpsImagePlugin, "gs_windows_binary", None)
    eps = tmp_path / "drawing.jpg"
    eps.write_bytes(eps_text())
    with pytest.raises(ImageLoadError, match="not an allowed image format"):
        load_image(eps)
    assert not mark.exists()


def test_empty_folder_embeds_to_nothing_and_metrics_say_why(tmp_path: Path, embedder: Embedder) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "notes.txt").write_text("no pictures here")
    result = embed_folder(tmp_path, embedder)
    assert len(result) == 0
    assert result.vectors.shape == (0, embedder.dim)
    with pytest.raises(MetricsError, match="at least 2 classes"):
        evaluate(result.vectors, result.labels)


def test_one_class_with_one_image_metrics_say_why(tmp_path: Path, embedder: Embedder) -> None:
    (tmp_path / "cats").mkdir()
    (tmp_path / "cats" / "only.png").write_bytes(encoded(sample_rgb(), "PNG"))
    result = embed_folder(tmp_path, embedder)
    assert result.paths == ["cats/only.png"]
    with pytest.raises(MetricsError, match=r"1 class\(es\), 1 image"):
        evaluate(result.vectors, result.labels)


def test_classes_of_one_image_each_metrics_say_why(tmp_path: Path, embedder: Embedder) -> None:
    for i, name in enumerate(("cats", "dogs")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "only.png").write_bytes(encoded(sample_rgb(seed=i), "PNG"))
    result = embed_folder(tmp_path, embedder)
    with pytest.raises(MetricsError, match="a class with 2 or more images"):
        evaluate(result.vectors, result.labels)


UNREADABLE_SCRIPT = """
import json, sys
from lookalike.engine.folder.scan import scan_folder
from lookalike.engine.images.loading import load_image
from lookalike.engine.errors import ImageLoadError
entries, skipped = scan_folder(sys.argv[1])
reasons = {s.path: s.reason for s in skipped}
for e in entries:
    try:
        load_image(sys.argv[1] + "/" + e.rel_path)
    except ImageLoadError as exc:
        reasons[e.rel_path] = str(exc)
print(json.dumps({"ok": [e.rel_path for e in entries if e.rel_path not in reasons], "skipped": reasons}))
"""


def _without_root_powers() -> list[str]:
    """Root reads every file; drop the capabilities that allow it, so permissions apply for real."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be denied")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


def test_unreadable_file_and_folder_are_listed_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "fine.png").write_bytes(encoded(sample_rgb(), "PNG"))
    (tmp_path / "open" / "locked.png").write_bytes(encoded(sample_rgb(), "PNG"))
    (tmp_path / "closed").mkdir()
    (tmp_path / "closed" / "hidden.png").write_bytes(encoded(sample_rgb(), "PNG"))
    (tmp_path / "open" / "locked.png").chmod(0)
    (tmp_path / "closed").chmod(0)
    try:
        cmd = [*_without_root_powers(), sys.executable, "-c", UNREADABLE_SCRIPT, str(tmp_path)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=60, check=True)
    finally:
        (tmp_path / "closed").chmod(0o755)
        (tmp_path / "open" / "locked.png").chmod(0o644)
    out = json.loads(proc.stdout)
    assert out["ok"] == ["open/fine.png"]
    assert out["skipped"]["open/locked.png"] == "permission denied"
    assert "folder cannot be read" in out["skipped"]["closed"]


def test_scan_of_the_whole_corpus_lists_every_bad_file_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's acceptance check: `lookalike embed` (a real process) over the whole corpus."""
    from bench.folder.bad_corpus_scan import main as scan_corpus

    code = scan_corpus([])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PROBLEM" not in out
    for path, words in REASONS.items():
        line = next(line for line in out.splitlines() if line.startswith(f"  {path!r}: "))
        assert words in line


@pytest.mark.parametrize("n_images", [0, 1])
def test_cli_on_an_empty_or_single_image_folder_explains_instead_of_failing(
    tmp_path: Path, projection_model_path: Path, n_images: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from lookalike.cli.main import main

    photos = tmp_path / "photos"  # the map is written beside it: never inside the folder read
    (photos / "cats").mkdir(parents=True)
    for i in range(n_images):
        (photos / "cats" / f"{i}.png").write_bytes(encoded(sample_rgb(seed=i), "PNG"))
    model = ["--model", str(projection_model_path), "--device", "cpu"]
    assert main(["embed", str(photos), *model]) == 0
    assert main(["neighbours", str(photos), *model]) == 0
    capsys.readouterr()
    for argv, why in (
        (["evaluate"], "at least 2 classes"),
        (["map", "--html", str(tmp_path / "m.html")], "3 images"),
    ):
        assert main([argv[0], str(photos), *argv[1:], *model]) == 2
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert last.startswith("lookalike: error: ")
        assert why in last


def test_cli_compare_with_a_bad_image_is_one_clear_line(
    corpus: tuple[Path, dict[str, str]], projection_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lookalike.cli.main import main

    folder, _ = corpus
    argv = ["compare", str(folder / "good/plain.png"), str(folder / "bad/bomb_huge.png")]
    assert main([*argv, "--model", str(projection_model_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("lookalike: error: ")
    assert "bomb_huge.png" in err[-1]  # which of the two files
    assert "image too large" in err[-1]
