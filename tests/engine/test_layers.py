"""engine/ stays pure: no gui, train, Qt or torch, and heavy libraries only inside functions."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
FORBIDDEN = ("lookalike.gui", "lookalike.train", "gui", "train", "PySide6", "PyQt5", "PyQt6", "torch")
# Imported only inside the functions that need them, so `import engine.x` and the app start fast.
HEAVY = ("plotly", "openTSNE", "sklearn.manifold", "onnx")


def _engine_files() -> list[Path]:
    """Every module of engine/, sub-packages included."""
    return sorted(ENGINE.rglob("*.py"))


def _engine_modules() -> list[str]:
    names = []
    for path in _engine_files():
        parts = path.relative_to(ENGINE).with_suffix("").parts
        names.append(".".join(("lookalike", "engine", *parts[: -1 if parts[-1] == "__init__" else None])))
    return sorted(names)


def _imported_names(path: Path) -> list[str]:
    """Every module an engine file imports, at any depth (inside functions too)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _is_under(name: str, root: str) -> bool:
    return name == root or name.startswith(root + ".")


def test_no_engine_file_imports_a_forbidden_package() -> None:
    offences = [
        f"{path.relative_to(ENGINE)}: {name}"
        for path in _engine_files()
        for name in _imported_names(path)
        if any(_is_under(name, root) for root in FORBIDDEN)
    ]
    assert offences == []


def test_importing_every_engine_module_loads_no_forbidden_or_heavy_package() -> None:
    modules = _engine_modules()
    assert "lookalike.engine.model.embedder" in modules  # the scan really found the sub-packages
    assert "lookalike.engine.search" in modules
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout)
    assert set(modules) <= set(loaded)
    bad = [m for m in loaded if any(_is_under(m, root) for root in FORBIDDEN + HEAVY)]
    assert bad == []


def test_the_scan_sees_imports_hidden_in_functions(tmp_path: Path) -> None:
    """The scan would catch a lazy torch or Qt import, not only top-level ones."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import numpy\ndef f():\n    import torch.nn as nn\n    from PySide6.QtCore import QObject\n"
    )
    names = _imported_names(sample)
    assert names == ["numpy", "torch.nn", "PySide6.QtCore"]
    assert [n for n in names if any(_is_under(n, root) for root in FORBIDDEN)] == [
        "torch.nn",
        "PySide6.QtCore",
    ]
    assert not _is_under("trainer", "train")
