"""A folder's bulk is freed a slice at a time before embed_folder returns, not all at once after.

Freed as embed_folder returned, 100,000 images' entries, keys and vectors went in one chain of
deallocations that held the GIL ~75 ms, and the app's window, waiting for the GIL, froze that long.
"""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path
from typing import Any

import lookalike.engine.folder.embedding as folder_embedding
import pytest
from lookalike.engine.folder.embedding import embed_folder
from lookalike.engine.folder.letting_go import SLICE, free_gradually
from lookalike.engine.model.embedder import Embedder


class _Item:
    """Something a weak reference can watch."""


def test_lists_and_dicts_are_emptied_in_place_and_shared_items_live_on() -> None:
    items: list[Any] = [_Item() for _ in range(3 * SLICE + 5)]
    by_name: dict[int, Any] = {i: _Item() for i in range(SLICE + 1)}
    kept, alias = items[7], items
    watched = [weakref.ref(items[0]), weakref.ref(by_name[0]), weakref.ref(kept)]
    free_gradually(items, by_name)
    assert items is alias
    assert alias == []
    assert by_name == {}
    assert [w() is None for w in watched] == [True, True, False]  # the last lives on through `kept`


def test_embed_folder_frees_its_bulk_before_it_returns(
    image_data: Path, cpu_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    after_freeing: list[int] = []
    real = folder_embedding.free_gradually

    def spy(*bulk: Any) -> None:
        real(*bulk)
        after_freeing.append(sys.getallocatedblocks())

    monkeypatch.setattr(folder_embedding, "free_gradually", spy)
    embed_folder(image_data, cpu_embedder)  # fills the cache
    gc.disable()
    try:
        result = embed_folder(image_data, cpu_embedder)  # a warm opening, as the app's
        freed_at_return = after_freeing[-1] - sys.getallocatedblocks()
    finally:
        gc.enable()
    assert len(result) > 300
    assert freed_at_return < len(result) / 10  # about a dozen blocks an image when freed at return
