"""Build the bad-file corpus in a temp folder, run `lookalike embed` on it, print each bad file's reason.

Exit 0 when the scan exits 0, every good file is embedded and every bad one is listed with a reason.
Usage: python -m bench.folder.bad_corpus_scan [--model MODEL.onnx] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from lookalike.engine.model.bundled import default_model_path

from bench.common import lookalike_command
from tests.engine.bad_corpus import OK, SKIPPED, make_bad_corpus, unlock_corpus


def model_for_scan(given: Path | None, work: Path) -> Path:
    """The model to use: the one given, the bundled one, or a small real test embedder."""
    if given is not None:
        return given
    if default_model_path().is_file():
        return default_model_path()
    from tests.model_factory import projection_model

    return projection_model(work / "projection.onnx", input_size=32, dim=64)


def run_scan(folder: Path, model: Path, cache: Path) -> tuple[int, dict[str, object], str]:
    """`lookalike embed FOLDER --json`: exit code, the JSON answer, and stderr."""
    env = {**os.environ, "LOOKALIKE_CACHE_DIR": str(cache)}
    cmd = [*lookalike_command(), "embed", str(folder), "--json", "--model", str(model), "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    answer = json.loads(proc.stdout) if proc.returncode == 0 else {}
    return proc.returncode, answer, proc.stderr


def check(expected: dict[str, str], answer: dict[str, Any]) -> list[str]:
    """Problems: a bad file not listed, a good file not embedded, or a reason that is empty."""
    skipped = {str(s["path"]): str(s["reason"]) for s in answer.get("skipped", [])}
    problems = [f"not listed: {p!r}" for p, v in expected.items() if v == SKIPPED and p not in skipped]
    problems += [
        f"good file skipped: {p!r} ({skipped[p]})" for p, v in expected.items() if v == OK and p in skipped
    ]
    problems += [f"no reason: {p!r}" for p, r in skipped.items() if not r.strip()]
    n_ok = sum(v == OK for v in expected.values())
    if answer.get("n_images") != n_ok:
        problems.append(f"{answer.get('n_images')} images embedded, expected {n_ok}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Build, scan, report; exit status says whether every file was handled as expected."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the corpus folder and print where it is")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lookalike-bad-corpus-"))
    try:
        expected = make_bad_corpus(work / "corpus")
        code, answer, stderr = run_scan(work / "corpus", model_for_scan(args.model, work), work / "cache")
        print(stderr, end="")
        problems = check(expected, answer) if code == 0 else [f"lookalike embed exited {code}"]
        n_bad = sum(v == SKIPPED for v in expected.values())
        print(
            f"\ncorpus: {len(expected)} files ({len(expected) - n_bad} good, {n_bad} bad); exit code {code}"
        )
        for problem in problems:
            print(f"PROBLEM: {problem}")
        return 0 if not problems else 1
    finally:
        unlock_corpus(work / "corpus")
        if args.keep:
            print(f"corpus kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
