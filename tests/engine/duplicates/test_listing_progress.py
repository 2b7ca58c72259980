"""A long duplicates listing reports progress through the picture check (pictures read, pairs
compared, pictures aligned) and stops when asked (the app's Stop button; 100,000 images take
minutes), on real files."""

from __future__ import annotations

import random

import numpy as np
import pytest
from lookalike.engine.duplicates import picture_check, picture_pairs
from lookalike.engine.duplicates.listing import DuplicateListing, list_duplicates
from lookalike.engine.duplicates.near_copies import near_copy
from lookalike.engine.folder.embedding import FolderEmbeddings, embed_folder
from lookalike.engine.images.loading import load_image
from lookalike.engine.job_hooks import JobCancelledError, JobHooks
from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder

from tests.real_data import DATA


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[FolderEmbeddings, Embedder]:
    """40 carried pictures and near-copies of 10 of them, embedded by the bundled model."""
    out = tmp_path_factory.mktemp("progress")
    files = sorted(p for p in DATA.glob("*/*/*.*") if p.is_file())
    rng = np.random.default_rng(0)
    for k, path in enumerate(random.Random(1).sample(files, 40)):
        img = load_image(path)
        img.save(out / f"orig_{k:02d}.png")
        if k < 10:
            near_copy(img, rng).save(out / f"copy_{k:02d}.jpg", quality=90)
    embedder = Embedder(default_model_path(), device="cpu")
    return embed_folder(out, embedder, cache_dir=tmp_path_factory.mktemp("cache")), embedder


def _groups(listing: DuplicateListing | None) -> list[list[str]]:
    assert listing is not None
    return [sorted(f.rel_path for f in g.files) for g in listing.groups]


def _list(folder: tuple[FolderEmbeddings, Embedder], hooks: JobHooks | None) -> DuplicateListing | None:
    emb, embedder = folder
    choice = embedder.manifest.duplicate_choice
    return list_duplicates(emb, choice.embedding, hooks=hooks, picture=choice.check)


def test_progress_runs_once_through_reading_comparing_and_aligning_to_its_total(
    folder: tuple[FolderEmbeddings, Embedder], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = _list(folder, None)
    monkeypatch.setattr(picture_pairs, "PIECE", 4)  # many pieces on a small folder
    monkeypatch.setattr(picture_pairs, "MAX_PARTNERS", 4)
    seen: list[tuple[int, int]] = []
    reported = _list(folder, JobHooks(lambda done, total: seen.append((done, total))))
    assert _groups(reported) == _groups(plain)  # reporting changes nothing found
    assert plain is not None
    assert len(plain.groups) > 0
    totals = {total for _, total in seen}
    assert len(totals) == 1
    assert totals.pop() > len(folder[0]) // 2
    done = [d for d, _ in seen]
    assert done == sorted(done)
    assert done[0] == 0
    assert done[-1] == seen[-1][1]
    assert len(seen) > 5


def test_a_cancel_stops_the_listing_between_pieces(
    folder: tuple[FolderEmbeddings, Embedder], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(picture_pairs, "PIECE", 4)
    calls: list[int] = []

    def thumbnail_counted(path: str) -> picture_check.Thumb | None:
        calls.append(1)
        return real(path)

    real = picture_check._file_thumbnail
    monkeypatch.setattr(picture_check, "_file_thumbnail", thumbnail_counted)
    steps: list[int] = []
    hooks = JobHooks(lambda done, _total: steps.append(done), lambda: len(steps) >= 2)
    assert _list(folder, hooks) is None
    files_to_read = len(folder[0])
    assert len(calls) < files_to_read  # stopped well before every candidate file was read


def test_hooks_report_then_stop_when_asked() -> None:
    seen: list[tuple[int, int]] = []
    JobHooks(lambda d, t: seen.append((d, t))).step(5, 20)
    assert seen == [(5, 20)]
    stop = JobHooks(lambda d, t: seen.append((d, t)), lambda: True)
    with pytest.raises(JobCancelledError):
        stop.step(6, 20)
    assert seen[-1] == (6, 20)  # the last progress is shown before stopping
