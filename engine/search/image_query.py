"""Nearest neighbours in an embedded folder of one image file, inside the folder or not.

The CLI's `neighbours --query` and the app's "Find similar" both answer through here, so they
agree to the last digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lookalike.engine.errors import ImageLoadError
from lookalike.engine.folder.embedding import FolderEmbeddings
from lookalike.engine.images.loading import load_image
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.search.vector_search import search_of
from PIL import Image


@dataclass(frozen=True)
class QueryAnswer:
    """One query image's k nearest rows of the folder, best first (itself left out if it is in it)."""

    query: Path
    rows: tuple[int, ...]
    distances: tuple[float, ...]
    self_row: int | None


def query_neighbours(embedder: Embedder, folder: FolderEmbeddings, image: Path, k: int) -> QueryAnswer:
    """Embed `image` and find its k nearest images in `folder`."""
    return answer_for(folder, image, embed_query(embedder, image), k)


def embed_query(embedder: Embedder, image: Path) -> np.ndarray:
    """One named image's vector (a query, or either side of compare); a bad file's error names it."""
    try:
        return embedder.embed_file(image)
    except ImageLoadError as exc:
        raise ImageLoadError(f"{image}: {exc}") from exc


def load_query_image(embedder: Embedder, image: Path) -> Image.Image:
    """One named image decoded exactly as embed_query decodes it (a big JPEG at reduced size too),
    so embedding the decoded image (explain) gives embed_query's vector to the last digit."""
    try:
        return load_image(image, min_side=embedder.manifest.preprocessing.input_size)
    except ImageLoadError as exc:
        raise ImageLoadError(f"{image}: {exc}") from exc


def answer_for(folder: FolderEmbeddings, image: Path, vector: np.ndarray, k: int) -> QueryAnswer:
    """The k nearest rows of `folder` to an embedded query (itself left out when it is a row)."""
    self_row = row_of(folder, image)
    exclude = None if self_row is None else np.array([self_row])
    idx, dist = search_of(folder).search(np.asarray(vector)[None], k, exclude_self=exclude)
    keep = idx[0] >= 0  # FAISS pads with -1 when fewer than k rows are found
    idx, dist = idx[:, keep], dist[:, keep]
    return QueryAnswer(image, tuple(map(int, idx[0])), tuple(map(float, dist[0])), self_row)


def row_of(folder: FolderEmbeddings, image: Path) -> int | None:
    """The folder row of `image` when it is one of the folder's embedded files."""
    try:
        rel = image.resolve().relative_to(folder.folder.resolve()).as_posix()
    except ValueError:
        return None
    for key in (rel, "/" + rel):  # an index made from a list of paths keeps them absolute
        if key in folder.paths:
            return folder.paths.index(key)
    return None
