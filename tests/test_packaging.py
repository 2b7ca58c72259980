"""The namespace needs no symbolic link: package-dir lists every package, and a bare checkout imports."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAPPED = {
    "lookalike": "lookalike",
    "lookalike.engine": "engine",
    "lookalike.gui": "gui",
    "lookalike.train": "train",
}


def _package_folders() -> set[str]:
    """Every folder with an __init__.py under the mapped folders, as its installed package name."""
    names = set()
    for package, folder in MAPPED.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder).parts
            names.add(".".join((package, *rel)))
    return names


def test_pyproject_lists_every_package_folder() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    assert listed - {"lookalike.assets"} == _package_folders()
    assert {config["package-dir"][p] for p in MAPPED} == set(MAPPED.values())


def test_the_product_folders_hold_no_symbolic_link() -> None:
    """A clone made with core.symlinks=false (Windows' default) gets the same files as this one."""
    links = [
        p.relative_to(REPO).as_posix()
        for folder in ("lookalike", "engine", "gui", "train", "assets", "tests")
        for p in (REPO / folder).rglob("*")
        if p.is_symlink()
    ]
    assert links == []


def test_a_bare_checkout_imports_the_top_level_folders(tmp_path: Path) -> None:
    """With only the repository root on the path (no install), lookalike.engine is the engine/ folder."""
    code = (
        f"import sys; sys.path.insert(0, {str(REPO)!r}); "
        "import lookalike.engine.model.bundled as b, lookalike.cli.main as c; "
        "print(b.__file__); print(c.__file__); print(b.assets_dir())"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    bundled, cli, assets = (Path(line) for line in proc.stdout.split())
    assert bundled == REPO / "engine" / "model" / "bundled.py"
    assert cli == REPO / "lookalike" / "cli" / "main.py"
    assert assets == REPO / "assets"
