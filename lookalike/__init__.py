"""Lookalike: a desktop image-similarity explorer (engine, gui, train and the CLI under one namespace).

Installed (wheel or editable), `lookalike.engine`, `lookalike.gui` and `lookalike.train` are the
repository's top-level folders `engine/`, `gui/` and `train/`, mapped by setuptools' `package-dir`
(pyproject.toml); the bundled model and samples are `lookalike.assets` (`assets/`). Run straight
from a checkout (`python -m lookalike` with the repository root on the path), the same folders are
found through `__path__` below, so no symbolic link is needed anywhere.
"""

from pathlib import Path

__version__ = "0.1.0"

_here = Path(__file__).parent
if not (_here / "engine").is_dir() and (_here.parent / "engine" / "__init__.py").is_file():
    __path__.append(str(_here.parent))  # a checkout: the sub-packages are the top-level folders
