"""Spies on a module's function: what was true each time it was called (it then runs as usual)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


def record_calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, what: Callable[[], T]) -> list[T]:
    """`what()` at each call of `module.name`, in order."""
    seen: list[T] = []
    real = getattr(module, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(what())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen
