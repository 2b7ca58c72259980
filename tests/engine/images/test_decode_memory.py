"""Issue 10, defects 6 and 7: decode memory has one budget for all threads; 16-bit is read one way."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import lookalike.engine.folder.embedding as folder_embedding
import lookalike.engine.images.loading as image_loading
import numpy as np
import pytest
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.images.decode_budget import DecodeBudget, peak_decode_bytes
from lookalike.engine.images.loading import load_image
from lookalike.engine.model.bundled import sample_folder
from lookalike.engine.model.embedder import Embedder
from PIL import Image

from tests.engine.bad_corpus import png_chunk

REPO = Path(__file__).resolve().parents[2]


def _sample_grey() -> np.ndarray:
    path = sorted((sample_folder() / "10_of_hearts").iterdir())[0]
    with Image.open(path) as img:
        return np.asarray(img.convert("L").resize((64, 48)))


def _rgb48_png(grey16: np.ndarray) -> bytes:
    """The same 16-bit data in all three channels of a 48-bit PNG (Pillow cannot write one)."""
    h, w = grey16.shape
    arr = np.repeat(grey16[:, :, None], 3, axis=2).astype(">u2")
    rows = b"".join(b"\x00" + arr[r].tobytes() for r in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(rows))


def test_two_sixteen_bit_pngs_that_look_the_same_embed_the_same(
    tmp_path: Path, cpu_embedder: Embedder
) -> None:
    """The issue's pair: maxima 255 and 256 (one was stretched, the other divided: 0.58 apart)."""
    low = _sample_grey().astype(np.uint16)
    high = low.copy()
    high[0, 0] = 256
    Image.fromarray(low).save(tmp_path / "max255.png")
    Image.fromarray(high).save(tmp_path / "max256.png")
    a, b = cpu_embedder.embed_file(tmp_path / "max255.png"), cpu_embedder.embed_file(tmp_path / "max256.png")
    assert float(np.linalg.norm(a - b)) < 0.02


def test_sixteen_bit_grey_and_48_bit_rgb_of_the_same_data_give_the_same_pixels(tmp_path: Path) -> None:
    data = (_sample_grey().astype(np.uint16) * 257 + np.arange(64, dtype=np.uint16) % 200).astype(np.uint16)
    Image.fromarray(data).save(tmp_path / "grey16.png")
    (tmp_path / "rgb48.png").write_bytes(_rgb48_png(data))
    grey, rgb = (
        np.asarray(load_image(tmp_path / "grey16.png")),
        np.asarray(load_image(tmp_path / "rgb48.png")),
    )
    np.testing.assert_array_equal(grey, rgb)
    np.testing.assert_array_equal(grey[:, :, 0], data >> 8)


def test_a_reservation_bigger_than_the_budget_runs_alone() -> None:
    budget = DecodeBudget(100)
    held = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def small() -> None:
        with budget.reserve(60):
            order.append("small")
            held.set()
            release.wait(5)

    def huge() -> None:
        held.wait(5)
        with budget.reserve(10_000):  # capped at the whole budget: waits for `small` to finish
            order.append("huge")

    threads = [threading.Thread(target=small), threading.Thread(target=huge)]
    for t in threads:
        t.start()
    held.wait(5)
    assert order == ["small"]
    release.set()
    for t in threads:
        t.join(5)
    assert order == ["small", "huge"]
    assert budget.peak == 100


def test_folder_decoding_shares_one_budget_across_threads(
    tmp_path: Path, cpu_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 255, (600, 800, 3), dtype=np.uint8)).save(tmp_path / f"{i}.bmp")
    one = peak_decode_bytes(800, 600, "RGB")
    budget = DecodeBudget(int(one * 2.5))  # two images at a time, whatever the thread count
    monkeypatch.setattr(image_loading, "DECODE_BUDGET", budget)
    monkeypatch.setattr(folder_embedding, "decode_workers", lambda: 6)
    result = embed_folder(tmp_path, cpu_embedder, cache_dir=tmp_path / "cache")
    assert len(result) == 12
    assert one <= budget.peak <= budget.limit


PEAK_CHILD = """
import resource, sys
from lookalike.engine.images.loading import load_image
load_image(sys.argv[2], min_side=24)  # imports and plugin set-up before the baseline
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
img = load_image(sys.argv[1], min_side=24)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) * 1024)
"""


@pytest.mark.timeout(60)
def test_a_large_sixteen_bit_tiff_decodes_in_a_few_bytes_per_pixel(tmp_path: Path) -> None:
    """The issue's 10000x10000 16-bit TIFF peaked at 2.9 GB (29 bytes/pixel: float64 copies)."""
    side = 4000
    ramp = (np.arange(side, dtype=np.uint32) * 16).astype(np.uint16)
    Image.fromarray(np.broadcast_to(ramp, (side, side)).copy()).save(tmp_path / "big16.tif")
    Image.fromarray(ramp[None, :64].copy()).save(tmp_path / "small16.tif")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", PEAK_CHILD, str(tmp_path / "big16.tif"), str(tmp_path / "small16.tif")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=50,
        check=True,
    )
    grown = json.loads(out.stdout.strip())
    bytes_per_pixel = grown / side**2
    assert bytes_per_pixel < 12, bytes_per_pixel  # was 30 (float64 copies); about 9 now
