"""The built wheel, installed (not editable) in a throw-away venv, embeds its samples with its own model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Build outputs and caches a checkout may hold: none of them belongs in a source tree to build from.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "runs", "tmp"
)


def _run(*args: object, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _build_wheel(tmp: Path) -> Path:
    """Build the sdist from a copy of the checkout, then the wheel from the unpacked sdist.

    A copy, so the build leaves nothing in the user's tree; through the sdist, so what a package
    index would serve (sources only, no links) is what gets tested.
    """
    source = tmp / "source"
    shutil.copytree(REPO, source, symlinks=True, ignore=NOT_SOURCE)
    build_sdist = "from setuptools import build_meta as b; print(b.build_sdist('../sdist'))"
    name = _run(sys.executable, "-c", build_sdist, cwd=source).strip().splitlines()[-1]
    shutil.unpack_archive(tmp / "sdist" / name, tmp / "unpacked")
    (unpacked,) = (tmp / "unpacked").iterdir()
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp / "dist",
         unpacked, cwd=tmp)  # fmt: skip
    (wheel,) = (tmp / "dist").glob("lookalike-*.whl")
    return wheel


def _venv_with(wheel: Path, tmp: Path) -> Path:
    """A fresh venv holding only the wheel; its dependencies come from this interpreter through a .pth."""
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel, cwd=tmp)
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp).strip())
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "zz_dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(deps)))
    return venv


@pytest.mark.slow
def test_installed_wheel_embeds_its_samples_with_its_model(tmp_path: Path) -> None:
    venv = _venv_with(_build_wheel(tmp_path), tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LOOKALIKE_MODEL")}
    python = venv / "bin" / "python"
    where = _run(
        python,
        "-c",
        "import lookalike.engine.model.bundled as b; print(b.sample_folder())",
        cwd=tmp_path,
        env=env,
    )
    samples = Path(where.strip())
    assert samples.is_relative_to(venv), "the samples must come from the installed package, not the checkout"
    out = json.loads(_run(venv / "bin" / "lookalike", "embed", samples, "--json", cwd=tmp_path, env=env))
    assert Path(out["model"]).is_relative_to(venv)
    assert out["n_images"] == sum(1 for p in samples.rglob("*") if p.suffix in {".jpg", ".png"}) > 0
    assert out["skipped"] == []
    record = _run(python, "-c", "import importlib.metadata as m; print(*m.files('lookalike'), sep='\\n')",
                  cwd=tmp_path, env=env).split()  # fmt: skip
    assert "lookalike/assets/model.onnx" in record
    assert "lookalike/assets/MODEL.md" in record
    site = samples.parents[2]
    shipped = {p.relative_to(site).as_posix() for p in samples.rglob("*") if p.is_file()}
    assert shipped <= set(record)
    assert "lookalike/cli/main.py" in record
    assert "lookalike/engine/images/loading.py" in record  # sub-packages of the mapped folders ship too
    assert "lookalike/gui/compare/view.py" in record
    assert "lookalike/train/loop/trainer.py" in record
    assert not any(name.startswith(("engine/", "gui/", "train/", "tests/")) for name in record)
