"""The optional `[cluster]` extra (Ray, pyarrow), and FAISS for an index: imported only when asked for.

FAISS is a core dependency (the folder search uses it, falling back to exact search without it);
an index folder cannot be opened without it, so it is required here like the extra's modules.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from lookalike.engine.errors import LookalikeError

INSTALL_HINT = "pip install 'lookalike[cluster]'  (or: pip install 'ray[data]' pyarrow faiss-cpu)"


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
