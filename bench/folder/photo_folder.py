"""A folder of photo-sized JPEGs (~1–2 MP) made once from the shared datasets and reused across runs.

Sources are upscaled and given a fixed film-grain texture before re-encoding, so the files have the
size and entropy of camera photos (a plain upscale would compress to almost nothing and decode too
fast to be a fair test of the decoder).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from lookalike.engine.images.loading import is_image_name, load_image
from PIL import Image

# $LOOKALIKE_DATASETS when the checkout is not beside shared/ (a git worktree, for one).
DATASETS = Path(os.environ.get("LOOKALIKE_DATASETS", Path(__file__).resolve().parents[3] / "shared/datasets"))
SOURCE_SETS = ("cards", "flags", "fashion-mnist/folder")
SIZES = ((1600, 1200), (1200, 1600), (1500, 1000), (1280, 960), (1400, 1050))
QUALITY = 90
GRAIN = 6.0  # std of the added noise, in 8-bit levels


def bench_dir() -> Path:
    """Where generated benchmark data lives: $LOOKALIKE_BENCH_DIR or /tmp/lookalike-bench."""
    return Path(os.environ.get("LOOKALIKE_BENCH_DIR", "/tmp/lookalike-bench"))


def source_images(n: int) -> list[tuple[str, Path]]:
    """n (label, file) pairs taken round-robin from the shared sets, sorted so every run agrees.

    Past the sets' 5,710 images the sources repeat (issue 18 times 10,000 photos); a repeat is
    another file, with the grain at another offset (_make_one), so no two files are equal bytes."""
    per_set: list[list[tuple[str, Path]]] = []
    for name in SOURCE_SETS:
        root = DATASETS / name
        files = sorted(p for p in root.rglob("*") if p.is_file() and is_image_name(p.name))
        per_set.append([(f"{name.split('/')[0]}-{p.parent.name}", p) for p in files])
    out: list[tuple[str, Path]] = []
    for i in range(max(len(s) for s in per_set)):
        out.extend(s[i] for s in per_set if i < len(s))
    if not out:
        raise SystemExit(f"no images under {DATASETS} (set LOOKALIKE_DATASETS)")
    return [out[i % len(out)] for i in range(n)]


def ensure_photo_folder(n: int = 2000, root: Path | None = None, size: tuple[int, int] | None = None) -> Path:
    """Return a folder of n photo-sized JPEGs, generating only what is missing.

    Without `size` the images cycle through SIZES (folder photos-N); with it every image is that
    one size (folder photos-WxH-N), for a goal stated at one photo size."""
    name = f"photos-{n}" if size is None else f"photos-{size[0]}x{size[1]}-{n}"
    folder = (root or bench_dir()) / name
    sizes = SIZES if size is None else (size,)
    stamp = folder / ".complete"
    if stamp.exists():
        return folder
    grain = np.random.default_rng(0).normal(0.0, GRAIN, (1700, 1700, 3)).astype(np.float32)
    jobs = [(i, label, src) for i, (label, src) in enumerate(source_images(n))]
    print(f"generating {n} photo-sized JPEGs in {folder} (once; reused by later runs)", flush=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(lambda job: _make_one(folder, grain, sizes, *job), jobs))
    stamp.write_text(f"{n}\n")
    return folder


def _make_one(
    folder: Path, grain: np.ndarray, sizes: Sequence[tuple[int, int]], i: int, label: str, src: Path
) -> None:
    """Upscale one source to a photo size, add grain, write a quality-90 JPEG (skip if present)."""
    out = folder / label / f"{i:05d}.jpg"
    if out.exists():
        return
    w, h = sizes[i % len(sizes)]
    img = load_image(src).resize((w, h), Image.Resampling.BICUBIC)
    off = (i * 37) % 96
    noisy = np.asarray(img, dtype=np.float32) + grain[off : off + h, off : off + w]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(tmp, "JPEG", quality=QUALITY)
    os.replace(tmp, out)


def folder_stats(folder: Path) -> tuple[int, float, float]:
    """(files, mean megapixels, mean megabytes) of the JPEGs in a generated folder."""
    files = sorted(folder.rglob("*.jpg"))
    sample = files[:: max(1, len(files) // 50)]
    mp = float(np.mean([_megapixels(p) for p in sample]))
    mb = float(np.mean([p.stat().st_size / 1e6 for p in files]))
    return len(files), mp, mb


def _megapixels(path: Path) -> float:
    with Image.open(path) as img:
        return img.size[0] * img.size[1] / 1e6


def main(argv: list[str] | None = None) -> None:
    """Generate (or find) the benchmark folder and describe it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=2000)
    args = parser.parse_args(argv)
    folder = ensure_photo_folder(args.images)
    n, mp, mb = folder_stats(folder)
    print(f"{folder}: {n} JPEGs, {mp:.2f} MP and {mb:.2f} MB on average")


if __name__ == "__main__":
    main()
