"""Thumbnails at their map positions: none overlap, zooming in shows more, each box a real image."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from lookalike.engine.map.atlas import (
    THUMB_PX,
    ThumbnailCache,
    View,
    build_atlas,
    drawing_order,
    place_thumbnails,
    whole_view,
)

BATCH = 60


def test_placed_boxes_never_overlap_and_zoom_shows_more() -> None:
    points = np.random.default_rng(1).normal(size=(3000, 2)).astype(np.float32)
    whole = whole_view(points, 800, 600)
    placed = place_thumbnails(points, whole, drawing_order(len(points)))
    for i, a in enumerate(placed):  # a plain loop over every pair, against the grid shortcut
        for b in placed[i + 1 :]:
            assert abs(a.cx - b.cx) >= THUMB_PX or abs(a.cy - b.cy) >= THUMB_PX
    assert 0 < len(placed) < len(points)  # a sample: the whole map cannot show 3000 readable images
    sx, sy = whole.width / (whole.x1 - whole.x0), whole.height / (whole.y1 - whole.y0)
    for p in placed:  # each image at most one box from its own point (the next free box)
        x, y = (points[p.pos, 0] - whole.x0) * sx, (whole.y1 - points[p.pos, 1]) * sy
        assert abs(p.cx - x) <= 1.5 * THUMB_PX
        assert abs(p.cy - y) <= 1.5 * THUMB_PX
    centre = View(-0.3, 0.3, -0.3, 0.3, 800, 600)
    inside = np.all(np.abs(points) < 0.3, axis=1)
    zoomed = place_thumbnails(points, centre, drawing_order(len(points)))
    shown_before = sum(1 for p in placed if inside[p.pos])
    assert len(zoomed) > shown_before  # zooming in reveals images the whole view had to leave out
    assert all(inside[p.pos] for p in zoomed)


def test_atlas_draws_real_thumbnails_in_batches(tmp_path: Path, image_data: Path) -> None:
    files = sorted((image_data / "cards").rglob("*.jpg"))[:120]
    for f in files:
        shutil.copy2(f, tmp_path / f"{f.parent.name}-{f.name}")
    paths = sorted(str(p) for p in tmp_path.iterdir())
    (tmp_path / paths[0]).write_bytes(b"broken")  # an unreadable file is skipped, not fatal
    points = np.random.default_rng(0).uniform(0, 1000, size=(len(paths), 2)).astype(np.float32)
    rows = np.arange(len(paths))
    cache = ThumbnailCache(lambda r: paths[r])
    view = whole_view(points, 2000, 2000)
    first = build_atlas(points, rows, view, cache, batch=BATCH)
    assert not first.complete  # more than one batch of thumbnails to decode
    second = build_atlas(points, rows, view, cache, batch=BATCH)
    assert second.complete
    assert first.drawn < second.drawn <= len(paths) - 1
    alpha = np.asarray(second.image)[..., 3]
    assert 0 < (alpha > 0).mean() < 1  # pictures where points are, transparent between them
