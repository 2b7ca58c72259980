"""A tqdm bar on stderr only when a person is watching (a terminal); silent in logs and tests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(total: int, desc: str) -> Iterator[Callable[[int], None]]:
    """Yield an `advance(n)` callback, backed by tqdm (with ETA) when stderr is a tty."""
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True) as bar:

        def advance(n: int) -> None:
            bar.update(n)

        yield advance
