"""Teach the model from the app on classes the bundled model never saw, then check with `evaluate`.

python -m bench.model.teach_quality --set ../shared/datasets/{cards,flags,glyphs} --minutes 2.5  # both starts
python -m bench.model.teach_quality --set ../shared/datasets/cards --minutes 5 --start model    # one run

1. Builds a folder (symlinks) of SET's classes that the bundled model held out from its training
   (the names are in its manifest), so teaching starts where the bundled model is weakest.
2. Drives the real window (offscreen): opens the folder, Work → Teach for MINUTES with the
   dialog's defaults, and prints the dialog's before/after on the classes held out from this run.
3. Builds a folder of just those classes and runs `lookalike evaluate` on it with both models.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from lookalike.engine.model.bundled import default_model_path
from lookalike.engine.model.embedder import Embedder
from lookalike.engine.teaching.teach_run import child_env, cli_command

from bench.common import Report


def bundled_held_out(set_dir: Path) -> list[str]:
    """Classes of SET that the bundled model's training held out (never trained on)."""
    names = Embedder(default_model_path(), device="cpu").manifest.training.get("val_class_names", [])
    prefix = set_dir.name + "/"
    return [n[len(prefix) :] for n in names if n.startswith(prefix) and (set_dir / n[len(prefix) :]).is_dir()]


def link_classes(set_dir: Path, classes: list[str], out: Path) -> Path:
    """A folder of symlinks SET/CLASS → OUT/CLASS (emoji images are never used)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in classes:
        (out / name).mkdir()
        for image in sorted((set_dir / name).iterdir()):
            if not image.name.startswith("emoji_"):
                (out / name / image.name).symlink_to(image.resolve())
    return out


def teach_in_app(
    folder: Path, minutes: float, save_to: Path, extra: str, from_model: bool
) -> dict[str, object]:
    """Open the folder in the real window, teach with the dialog's defaults, return what it shows."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from lookalike.gui.app import create_application
    from lookalike.gui.main_window import MainWindow
    from PySide6.QtCore import QEventLoop, QSettings

    app = create_application()
    settings = QSettings(str(save_to.parent / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.show()
    loop = QEventLoop()
    window.session.pairs_changed.connect(lambda p: _quit_if(loop, p is not None))
    window.session.model_changed.connect(lambda _m: window.open_folder(folder))
    window.open_model(default_model_path())
    loop.exec()
    dialog = window.teaching.teach()
    assert dialog is not None, window.last_error
    dialog.minutes.setValue(minutes)
    dialog.save_to.setText(str(save_to))
    dialog.extra.setText(extra)
    with_options = QEventLoop()
    dialog.options_read.connect(lambda _c: with_options.quit())
    if dialog.start_from.count() == 0:  # the start choices come with `lookalike train --help`
        with_options.exec()
    dialog.start_from.setCurrentIndex(0 if from_model else dialog.start_from.count() - 1)
    if from_model and not dialog.start_from.currentData():
        raise SystemExit("the dialog does not offer the current model as a start")
    done: dict[str, object] = {}
    window.teacher.finished.connect(lambda r: _quit_if(loop, True, done, result=r))
    window.teacher.failed.connect(lambda m: _quit_if(loop, True, done, error=m))
    dialog.start_button.click()
    loop.exec()
    text = dialog.outcome.text()
    window.close()
    del app
    if "error" in done:
        raise SystemExit(f"teaching failed: {done['error']}")
    return {"result": done["result"], "dialog": text}


def _quit_if(loop: Any, condition: bool, into: dict[str, object] | None = None, **found: object) -> None:
    if into is not None:
        into.update(found)
    if condition:
        loop.quit()


def evaluate(folder: Path, model: Path) -> dict[str, float]:
    """`lookalike evaluate FOLDER --model MODEL --json`."""
    out = subprocess.run(
        cli_command("evaluate", str(folder), "--model", str(model), "--json", "--device", "cpu"),
        capture_output=True,
        text=True,
        env=child_env(),
        check=True,
    )
    report = json.loads(out.stdout)
    return {k: report[k] for k in ("precision_at_1", "mean_average_precision_at_r", "n_images", "n_classes")}


MODULE = __spec__.name if __spec__ is not None else __name__  # run again per set and start
STARTS = ("backbone", "model")  # a fresh run (projections fitted on the folder), or --start-from


def teach_once(set_dir: Path, minutes: float, start: str, seed: int = 0) -> dict[str, object]:
    """One teach in the app on SET's classes the bundled model never saw; the app's figures and
    `lookalike evaluate` on this run's held-out classes, for the bundled and the taught model."""
    work = Path(tempfile.mkdtemp(prefix="lookalike-teach-"))
    os.environ["LOOKALIKE_DATA_DIR"] = str(work / "data")
    classes = bundled_held_out(set_dir)
    folder = link_classes(set_dir, classes, work / set_dir.name)
    print(f"{len(classes)} classes of {set_dir.name} the bundled model never trained on: {folder}")
    taught = teach_in_app(folder, minutes, work / "taught.onnx", f"--seed {seed}", start == "model")
    from lookalike.gui.teaching.teacher import TeachResult

    result = taught["result"]
    assert isinstance(result, TeachResult)
    print("In the app:\n" + str(taught["dialog"]))
    held = link_classes(set_dir, list(result.held_out), work / "held_out_of_run")
    scores = {name: evaluate(held, model) for name, model in (("bundled", default_model_path()),
                                                              ("taught", work / "taught.onnx"))}  # fmt: skip
    return {"set": set_dir.name, "start": start, "seed": seed, "ended": result.ended_because, **scores}


def compare(sets: list[Path], minutes: float, seeds: list[int]) -> None:
    """Each set × each start in its own process (one Qt application each); a results table."""
    title = f"Teaching in the app: from the backbone or from the app's model ({minutes:g} min)"
    report = Report("teach_quality", title)
    report.add(
        "Each run: the real window opens SET's classes the bundled model held out of its training, "
        "Work → Teach with the dialog's defaults but the start: 'model' rows continue the bundled model "
        "(Start from: the current model), 'backbone' rows a fresh run. "
        "Figures: `lookalike evaluate` on the classes this run held out (the same split for both starts).",
        "",
    )
    rows = []
    for set_dir, seed, start in itertools.product(sets, seeds, STARTS):
        command = [sys.executable, "-m", MODULE, "--set", str(set_dir), "--seed", str(seed)]
        command += ["--minutes", str(minutes), "--start", start, "--json"]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(_row(json.loads(out.stdout.strip().splitlines()[-1])))
        print(rows[-1], flush=True)
    header = (
        "set",
        "seed",
        "start",
        "bundled p@1 / MAP@R",
        "taught p@1 / MAP@R",
        "images / classes",
        "ended",
    )
    report.table(header, rows)
    report.save()


def _row(found: dict[str, Any]) -> tuple[str, ...]:
    def pair(scores: dict[str, float]) -> str:
        return f"{scores['precision_at_1']:.3f} / {scores['mean_average_precision_at_r']:.3f}"

    taught = found["taught"]
    size = f"{taught['n_images']} / {taught['n_classes']}"
    return (
        found["set"],
        str(found["seed"]),
        found["start"],
        pair(found["bundled"]),
        pair(taught),
        size,
        found["ended"] or "—",
    )


def main(argv: list[str] | None = None) -> int:
    """Teach, show the app's figures, check them with `lookalike evaluate`; or compare both starts."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--set", type=Path, nargs="+", required=True, help="shared SET/CLASS/IMAGE folder(s)")
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--start", choices=STARTS, help="one run from this start (default: compare both)")
    ap.add_argument("--json", action="store_true", help="one run: its figures as a JSON line at the end")
    ap.add_argument("--seed", type=int, nargs="+", default=[0], help="the runs' --seed (class split too)")
    args = ap.parse_args(argv)
    if args.start is None:
        compare(args.set, args.minutes, args.seed)
        return 0
    found = teach_once(args.set[0], args.minutes, args.start, args.seed[0])
    print(json.dumps(found) if args.json else found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
