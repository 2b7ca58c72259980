"""The optional `[cluster]` extra (Ray, FAISS, pyarrow): imported only when an index is asked for."""

from __future__ import annotations

import importlib
from types import ModuleType

from lookalike.engine.errors import LookalikeError

INSTALL_HINT = "pip install 'lookalike[cluster]'  (or: pip install 'ray[data]' faiss-cpu pyarrow)"


class MissingExtraError(LookalikeError):
    """Indexes need Ray, FAISS or pyarrow and one of them is not installed."""


def require(module: str) -> ModuleType:
    """Import one of the extra's modules, or say in one line how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"this needs the optional package '{module.split('.')[0]}', not installed: {INSTALL_HINT}"
        ) from exc
