"""The app imports at start-up what the engine would otherwise import in a worker while a folder
opens (an import holds the GIL while it loads its libraries: the window froze 100-300 ms)."""

from __future__ import annotations

import subprocess
import sys


def _after_import_ahead(setup: str, work: str, report: str) -> tuple[str, str]:
    """In a fresh interpreter: `setup`, import_ahead(), then `work`; (the modules `work` imported,
    what `report` printed)."""
    script = (
        f"import sys\n{setup}\n"
        "from lookalike.engine.lazy_modules import import_ahead\n"
        "import_ahead()\n"
        f"before = set(sys.modules)\n{work}\n"
        "print(sorted(set(sys.modules) - before))\n"
        f"print({report})\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    new, printed = out.splitlines()
    return new, printed


def test_import_ahead_leaves_nothing_for_a_folder_open_to_import() -> None:
    new, loaded = _after_import_ahead(
        "from PIL import Image\n"
        "from lookalike.engine.folder.cache import default_cache_dir\n"
        "from lookalike.engine.images.loading import register_phone_formats\n"
        "from lookalike.engine.search.vector_search import faiss_module",
        "register_phone_formats(); faiss_module(); default_cache_dir(); Image.init()",
        "'faiss' in sys.modules, 'pillow_heif' in sys.modules, 'platformdirs' in sys.modules",
    )
    assert new == "[]"  # the open's lazy imports were all done ahead
    assert loaded == "True True True"


def test_import_ahead_leaves_nothing_for_duplicate_grouping_to_import() -> None:
    """Grouping close pairs (both ways: complete linkage, and pairs the picture check kept) needs
    scipy's graph and clustering modules: imported ahead, not in the Duplicates tab's worker."""
    new, counts = _after_import_ahead(
        "import numpy as np\n"
        "from lookalike.engine.duplicates.groups import ClosePairs, duplicate_groups\n"
        "from lookalike.engine.duplicates.groups import groups_of_verified_pairs\n"
        "v = np.repeat(np.eye(4, 8, dtype=np.float32), 3, axis=0)\n"
        "v += np.random.default_rng(0).normal(0, 0.01, v.shape).astype(np.float32)",
        "found = duplicate_groups(v, 0.5, 'complete')\n"
        "i, j = np.array([0, 0, 1, 3]), np.array([1, 2, 2, 4])\n"
        "kept = groups_of_verified_pairs(len(v), ClosePairs(i, j, np.full(4, 0.1), 0.5))",
        "len(found.groups), len(kept.groups)",
    )
    assert new == "[]"  # grouping's lazy imports were all done ahead
    assert counts == "4 2"  # and the grouping really ran: 4 groups of 3 close rows; 2 from the pairs
