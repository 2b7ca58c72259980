"""The app imports at start-up what the engine would otherwise import in a worker while a folder
opens (an import holds the GIL while it loads its libraries: the window froze 100-300 ms)."""

from __future__ import annotations

import subprocess
import sys


def test_import_ahead_leaves_nothing_for_a_folder_open_to_import() -> None:
    script = (
        "import sys\n"
        "from PIL import Image\n"
        "from lookalike.engine.folder.cache import default_cache_dir\n"
        "from lookalike.engine.images.loading import register_phone_formats\n"
        "from lookalike.engine.search.vector_search import faiss_module\n"
        "from lookalike.engine.lazy_modules import import_ahead\n"
        "import_ahead()\n"
        "before = set(sys.modules)\n"
        "register_phone_formats(); faiss_module(); default_cache_dir(); Image.init()\n"
        "print(sorted(set(sys.modules) - before))\n"
        "print('faiss' in sys.modules, 'pillow_heif' in sys.modules, 'platformdirs' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    new, loaded = out.splitlines()
    assert new == "[]"  # the open's lazy imports were all done ahead
    assert loaded == "True True True"
