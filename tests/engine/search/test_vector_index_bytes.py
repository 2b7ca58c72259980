"""The index size the manifest states is counted, not serialised, and agrees with the serialised size."""

from __future__ import annotations

import numpy as np
import pytest
from lookalike.engine.search.vector_index import build_ann, index_bytes

faiss = pytest.importorskip("faiss")


@pytest.mark.parametrize("kind", ["Flat", "IVF-Flat", "IVF-SQ8"])
def test_counted_size_is_the_serialised_size(kind: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 48)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    index, info = build_ann(x, kind=kind)
    serialised = len(faiss.serialize_index(index))
    assert info.index_bytes == index_bytes(faiss, index)
    assert abs(info.index_bytes - serialised) <= 0.005 * serialised
