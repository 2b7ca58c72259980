"""The modules the engine imports on first use, imported ahead of time by a caller that cannot
afford the pause later.

The engine imports FAISS, pillow-heif (and Pillow's other format plugins) and platformdirs only when
first needed, so the CLI starts fast. In the app that first need comes in a worker thread while a
folder opens, and an import holds the GIL while it runs, loading its shared libraries with it
(FAISS ~150 ms, pillow-heif ~130 ms, measured with -X importtime during the open of a 30,000-image
folder): the window froze for as long. The app imports them at start-up instead. The same goes for
the duplicate grouping's scipy.sparse.csgraph and scipy.cluster.hierarchy (58 and 53 ms after the
app's own imports), which the Duplicates tab's worker would import halfway through a listing.
scikit-learn's clustering and t-SNE (about 1.1 s, the map's worker) stay lazy: a second more at
every start-up costs more than the pause they cause once, when the map is first drawn.
"""

from __future__ import annotations

from PIL import Image


def import_ahead() -> None:
    """Import now what the engine would import lazily while a folder opens or its duplicates group."""
    import platformdirs  # noqa: F401  (the cache directory)
    import scipy.cluster.hierarchy  # complete linkage of duplicate groups
    import scipy.sparse.csgraph  # noqa: F401  (connected components of close pairs)
    from lookalike.engine.images.loading import register_phone_formats
    from lookalike.engine.search.vector_search import faiss_module

    register_phone_formats()
    Image.init()  # every Pillow format plugin, not one by one as files of each format turn up
    faiss_module()
