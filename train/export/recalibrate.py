"""Calibrate a model file's thresholds again, in place: match (with population pair counts) and duplicates.

`lookalike train` calibrates at export; this re-runs the same engine calibration on the held-out
classes a model's manifest names, so a model made before a calibration existed (the bundled one)
gets it without retraining: `python -m lookalike.train.export.recalibrate MODEL --data-root DIR
[--photos DIR]`. Only the manifest changes; the graph's bytes stay as they are.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from lookalike.engine.duplicates.calibration import calibrate_duplicates
from lookalike.engine.images.loading import load_image
from lookalike.engine.io.atomic_file import write_atomically
from lookalike.engine.metrics.pair_distances import pair_distances
from lookalike.engine.metrics.verification import calibrate_pairs
from lookalike.engine.model.embedder import Embedder, file_sha256
from lookalike.engine.model.manifest import METADATA_KEY, PIXELS_PART, ModelManifest
from lookalike.train.export.calibration_card import HEADING, replace_section
from lookalike.train.models.hybrid import hybrid_parts
from PIL import Image

PHOTO_CROPS = ((0.0, 0.0), (0.5, 0.0), (0.0, 0.5), (0.5, 0.5), (0.25, 0.25))


def held_out_files(manifest: ModelManifest, data_root: Path) -> list[tuple[Path, str]]:
    """(file, class) of the held-out classes the manifest names, under DATA_ROOT/<dataset folder>."""
    data = manifest.training.get("config", {}).get("data", [])
    folders = {**{Path(d).parent.name: d for d in data}, **{Path(d).name: d for d in data}}
    out = []
    for name in manifest.training.get("val_class_names", []):
        dataset, cls = name.split("/", 1)
        rel = Path(folders.get(dataset, dataset))
        base = next((data_root / Path(*rel.parts[k:]) for k in range(len(rel.parts))
                     if (data_root / Path(*rel.parts[k:])).is_dir()), None)  # fmt: skip
        if base is None or not (base / cls).is_dir():
            raise SystemExit(f"held-out class {name} not found under {data_root}")
        out += [(p, name) for p in sorted((base / cls).iterdir()) if not p.name.startswith("emoji_")]
    return out


def photo_crops(folder: Path) -> tuple[list[Image.Image], list[str]]:
    """Five half-size crops of each photo: different pictures of one scene (hard for a duplicate check)."""
    images, labels = [], []
    for path in sorted(folder.glob("*.jpg")):
        img = load_image(path, min_side=512)
        w, h = img.size
        for a, b in PHOTO_CROPS:
            images.append(img.crop((int(a * w), int(b * h), int(a * w + w / 2), int(b * h + h / 2))))
            labels.append(f"photo/{path.stem}")
    return images, labels


def recalibrated(embedder: Embedder, files: list[tuple[Path, str]], photos: Path | None) -> ModelManifest:
    """The manifest with match thresholds, histograms (with pair counts) and duplicate thresholds anew."""
    images = [load_image(p) for p, _ in files]
    labels = [label for _, label in files]
    batches = [np.stack([embedder.prepare(i) for i in images[k : k + 64]]) for k in range(0, len(images), 64)]
    vectors = np.concatenate([embedder.embed_batch(b) for b in batches])
    calibration = calibrate_pairs(pair_distances(vectors, labels))
    extra_images, extra_labels = photo_crops(photos) if photos else ([], [])
    m = embedder.manifest
    parts = m.parts or _parts_of(m)
    duplicates = calibrate_duplicates(
        embedder.embed_image, images + extra_images, labels + extra_labels, pixels=parts.get(PIXELS_PART)
    )
    kept = {k: v for k, v in m.thresholds.items() if not k.startswith("duplicate")}  # an earlier check's too
    thresholds = {**kept, **calibration.thresholds, **duplicates.thresholds()}
    metrics = {**m.metrics, "duplicates": duplicates.figures(), "eer": calibration.eer}
    return replace(m, thresholds=thresholds, histograms=calibration.histograms, metrics=metrics, parts=parts)


def _parts_of(m: ModelManifest) -> dict[str, tuple[int, int]]:
    """A hybrid model's parts, for a manifest written before parts were recorded; else none."""
    config = m.training.get("config", {})
    return (
        hybrid_parts(m.embedding_dim)
        if isinstance(config, dict) and config.get("backbone") == "hybrid"
        else {}
    )


def write_manifest(model: Path, manifest: ModelManifest) -> None:
    """Replace the manifest in the model file (atomically); the graph is untouched."""
    import onnx

    proto = onnx.load(str(model))
    kept = [p for p in proto.metadata_props if p.key != METADATA_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    proto.metadata_props.add(key=METADATA_KEY, value=manifest.to_json())
    data = proto.SerializeToString()
    write_atomically(model, lambda fh: fh.write(data))


def with_file_facts(card: str, model: Path) -> str:
    """The card's "(N KB, sha256 `…`)" of the model file as it is now (the manifest changed it)."""
    facts = f"({model.stat().st_size // 1024} KB, sha256 `{file_sha256(model)[:16]}…`)"
    return re.sub(r"\(\d+ KB, sha256 `[0-9a-f]+…`\)", facts, card, count=1)


def main(argv: Sequence[str] | None = None) -> int:
    """Recalibrate MODEL in place and print the new thresholds and duplicate figures."""
    parser = argparse.ArgumentParser(prog="python -m lookalike.train.export.recalibrate")
    parser.add_argument("model", type=Path)
    parser.add_argument("--data-root", type=Path, required=True, help="folder holding the training sets")
    parser.add_argument(
        "--photos", type=Path, help="unlabelled photos: their crops join the duplicate calibration"
    )
    args = parser.parse_args(argv)
    embedder = Embedder(args.model, device="cpu")
    manifest = recalibrated(embedder, held_out_files(embedder.manifest, args.data_root), args.photos)
    write_manifest(args.model, manifest)
    card = args.model.with_name("MODEL.md")
    if card.is_file() and HEADING in card.read_text(encoding="utf-8"):
        text = replace_section(card.read_text(encoding="utf-8"), manifest)
        card.write_text(with_file_facts(text, args.model), encoding="utf-8")
    json.dump(
        {"thresholds": manifest.thresholds, "duplicates": manifest.metrics["duplicates"]},
        sys.stdout,
        indent=2,
    )
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
