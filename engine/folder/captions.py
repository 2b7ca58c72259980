"""Captions for a folder's images: the file name, plus the class where the name alone is ambiguous.

Folders of many classes often reuse one file name in every class folder ("noto.png",
"twemoji.png"); a caption that shows only the name then reads the same under every image.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def captions(paths: Sequence[str], labels: Sequence[str | None]) -> list[str]:
    """One caption per image: its name, and on a second line its class when the name is shared."""
    names = [p.rsplit("/", 1)[-1] for p in paths]
    shared = {name for name, n in Counter(names).items() if n > 1}
    return [
        f"{name}\n{label}" if name in shared and label else name
        for name, label in zip(names, labels, strict=True)
    ]
