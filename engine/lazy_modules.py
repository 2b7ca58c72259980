"""The modules the engine imports on first use, imported ahead of time by a caller that cannot
afford the pause later.

The engine imports FAISS, pillow-heif (and Pillow's other format plugins) and platformdirs only when
first needed, so the CLI starts fast. In the app that first need comes in a worker thread while a
folder opens, and an import holds the GIL while it runs, loading its shared libraries with it
(FAISS ~150 ms, pillow-heif ~130 ms, measured with -X importtime during the open of a 30,000-image
folder): the window froze for as long. The app imports them at start-up instead.
"""

from __future__ import annotations

from PIL import Image


def import_ahead() -> None:
    """Import now what the engine would import lazily while a folder opens."""
    import platformdirs  # noqa: F401  (the cache directory)
    from lookalike.engine.images.loading import register_phone_formats
    from lookalike.engine.search.vector_search import faiss_module

    register_phone_formats()
    Image.init()  # every Pillow format plugin, not one by one as files of each format turn up
    faiss_module()
