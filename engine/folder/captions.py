"""Captions for a folder's images: the file name, plus the class where the name alone is ambiguous.

Folders of many classes often reuse one file name in every class folder ("noto.png",
"twemoji.png"); a caption that shows only the name then reads the same under every image.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def shared_names(paths: Sequence[str]) -> frozenset[str]:
    """The file names more than one of `paths` has. Counted by numpy, whose sort runs with the GIL
    released: collections.Counter held it for one long call (100,000 names: the app's window,
    waiting for the GIL while a folder opened, froze 40 ms)."""
    names = np.array([p.rsplit("/", 1)[-1] for p in paths], dtype=np.str_)
    unique, counts = np.unique(names, return_counts=True)
    return frozenset(unique[counts > 1].tolist())


def caption(path: str, label: str | None, shared: frozenset[str]) -> str:
    """One image's caption: its name, and on a second line its class when the name is `shared`."""
    name = path.rsplit("/", 1)[-1]
    return f"{name}\n{label}" if name in shared and label else name


def captions(paths: Sequence[str], labels: Sequence[str | None]) -> list[str]:
    """Every image's caption."""
    shared = shared_names(paths)
    return [caption(p, label, shared) for p, label in zip(paths, labels, strict=True)]
