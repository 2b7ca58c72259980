"""The engine's documented error types: callers catch these, and nothing else escapes on bad input."""


class LookalikeError(Exception):
    """Base of every error the engine raises on purpose; its message is meant for the user."""


class ImageLoadError(LookalikeError):
    """A file that cannot be turned into an RGB image; the message is the reason shown to the user."""


class ManifestError(LookalikeError):
    """A model whose metadata lacks or garbles what the engine needs to use it correctly."""


class ModelError(LookalikeError):
    """A model file that cannot be loaded or does not behave as an embedder."""


class FolderError(LookalikeError):
    """A folder that cannot be scanned at all (missing, not a directory, unreadable)."""


class MetricsError(LookalikeError):
    """Metrics that cannot be computed from the data given (too few images or classes)."""


class DamagedFileError(LookalikeError):
    """A file Lookalike wrote earlier (an index shard, a FAISS file) that no longer reads back:
    bad input, named in one line, never an internal error."""


class CancelledError(LookalikeError):
    """A long computation stopped because its cancel flag was set (not a failure)."""


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of an exception's message (its type when empty), cut short: the part a
    user-facing message can quote from a library's multi-line error."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:limit]
