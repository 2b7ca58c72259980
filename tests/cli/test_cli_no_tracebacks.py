"""Issue 10, defects 5 and 8: every subcommand answers bad arguments and bad paths with one stderr
line and exit code 2, never a traceback. The table must name every subcommand the parser has
(including those registered by gui/ and train/ through entry points), so a new one fails here
until its cases are added."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lookalike.engine.model.bundled import sample_folder

from lookalike.cli.main import build_parser, main

REPO = Path(__file__).resolve().parents[2]

# {photos}: two real classes; {img}: one of its images; {model}: a real small model; {tmp}: a
# scratch folder beside the photos; {text}: a text file; {notes}: a user's file with an output name.
COMMON_FOLDER_CASES: list[tuple[str, str]] = [
    ("no arguments", ""),
    ("unknown option", "{photos} --bogus"),
    ("missing folder", "{tmp}/missing"),
    ("a file as folder", "{img}"),
    ("folder as --model", "{photos} --model {tmp}"),
    ("missing --model", "{photos} --model {tmp}/nope.onnx"),
    ("text file as --model", "{photos} --model {text}"),
    ("bad --device", "{photos} --device tpu"),
    ("name with a newline", "{tmp}/new\nline"),
]
CASES: dict[str, list[tuple[str, str]]] = {
    "embed": [
        *COMMON_FOLDER_CASES,
        ("--out without .npz", "{photos} --out {tmp}/x.png"),
        ("--out an input image", "{photos} --out {img}"),
        ("--out inside the folder read", "{photos} --out {photos}/flag_de/vectors.npz"),
        ("--out in a folder that cannot be made", "{photos} --out /proc/no-such-dir/x.npz"),
        ("--out under a file", "{photos} --out {text}/x.npz"),
        ("--out a user's file", "{photos} --out {notes}.npz"),
        ("--out a folder", "{photos} --out {tmp}/adir.npz"),
        ("--json with bad --out", "{photos} --json --out {tmp}/x.html"),
    ],
    "explain": [
        ("no arguments", ""),
        ("no --out", "{img} {img}"),
        ("missing image", "{img} {tmp}/missing.jpg --out {tmp}/o.png"),
        ("folder as image", "{img} {photos} --out {tmp}/o.png"),
        ("text named .jpg", "{img} {tmp}/text.jpg --out {tmp}/o.png"),
        ("--out without .png", "{img} {img} --out {tmp}/o.jpg"),
        ("--out an input image", "{img} {img} --out {img}"),
        ("--out a user's file", "{img} {img} --out {notes}.png"),
        ("folder as --model", "{img} {img} --out {tmp}/o.png --model {tmp}"),
        ("bad --device", "{img} {img} --out {tmp}/o.png --device tpu"),
    ],
    "compare": [
        ("no arguments", ""),
        ("one image", "{img}"),
        ("missing image", "{img} {tmp}/missing.jpg"),
        ("folder as image", "{img} {photos}"),
        ("text named .jpg", "{img} {tmp}/text.jpg"),
        ("--threshold nan", "{img} {img} --json --threshold nan"),
        ("--threshold inf", "{img} {img} --json --threshold inf"),
        ("--threshold -1", "{img} {img} --json --threshold -1"),
        ("--threshold 3", "{img} {img} --json --threshold 3"),
        ("--threshold word", "{img} {img} --threshold far"),
        ("folder as --model", "{img} {img} --model {tmp}"),
        ("invalid UTF-8 name", "{img} {tmp}/bad\udcffname.jpg"),
    ],
    "neighbours": [
        *COMMON_FOLDER_CASES,
        ("-k 0", "{photos} -k 0"),
        ("-k -3", "{photos} -k -3 --json"),
        ("-k word", "{photos} -k many"),
        ("--query missing", "{photos} --query {tmp}/missing.jpg"),
        ("--query a folder", "{photos} --query {photos}"),
        ("--query text", "{photos} --query {tmp}/text.jpg"),
    ],
    "evaluate": [*COMMON_FOLDER_CASES, ("one class only", "{photos}/flag_de")],
    "map": [
        *[(name, f"{argv} --html {{tmp}}/m.html") for name, argv in COMMON_FOLDER_CASES[1:]],
        ("no --html", "{photos}"),
        ("--html an input image", "{photos} --html {img}"),
        ("--html inside the folder read", "{photos} --html {photos}/flag_de/x.html"),
        ("--html in a folder that cannot be made", "{photos} --html /proc/no-such-dir/m.html"),
        ("--html under a file", "{photos} --html {text}/m.html"),
        ("--html a user's page", "{photos} --html {notes}.html"),
        ("--html without .html", "{photos} --html {tmp}/m.png"),
    ],
    "duplicates": [
        *COMMON_FOLDER_CASES,
        ("--threshold nan", "{photos} --json --threshold nan"),
        ("--threshold -1", "{photos} --threshold -1"),
        ("--threshold inf", "{photos} --csv --threshold inf"),
        ("--json and --csv", "{photos} --json --csv"),
        ("bad --keep", "{photos} --keep random"),
    ],
    "index": [
        ("no arguments", ""),
        ("no --out", "{photos}"),
        ("missing source", "{tmp}/missing --out {tmp}/ix"),
        ("--out inside the source", "{photos} --out {photos}/ix"),
        ("--out the source itself", "{photos} --out {photos}"),
        ("--out a file", "{photos} --out {text}"),
        ("--workers -1", "{photos} --out {tmp}/ix --workers -1"),
        ("--shard-rows 0", "{photos} --out {tmp}/ix --shard-rows 0"),
        ("folder as --model", "{photos} --out {tmp}/ix --model {tmp}"),
    ],
    "cache": [("no flag", ""), ("both flags", "--info --clear"), ("unknown option", "--info --bogus")],
    "gui": [
        ("missing folder", "{tmp}/missing"),
        ("a file as folder", "{img}"),
        ("folder as --model", "{photos} --model {tmp}"),
        ("missing --model", "{photos} --model {tmp}/nope.onnx"),
        ("unknown option", "--bogus"),
    ],
    "train": [
        ("no arguments", ""),
        ("missing data", "{tmp}/missing --out {tmp}/run"),
        ("no --out", "{photos}"),
        ("--out inside the data", "{photos} --out {photos}/run"),
        ("--out a file", "{photos} --out {text}"),
        ("--epochs -1", "{photos} --out {tmp}/run --epochs -1"),
        ("--epochs word", "{photos} --out {tmp}/run --epochs many"),
        ("--val-classes nan", "{photos} --out {tmp}/run --val-classes nan"),
        ("--val-classes inf", "{photos} --out {tmp}/run --val-classes inf"),
        ("--margin nan", "{photos} --out {tmp}/run --margin nan"),
        ("bad --mining", "{photos} --out {tmp}/run --mining random"),
    ],
    "export": [
        ("no arguments", ""),
        ("missing checkpoint", "{tmp}/missing.pt --out {tmp}/m.onnx"),
        ("text as checkpoint", "{text} --out {tmp}/m.onnx"),
        ("--out without .onnx", "{text} --out {tmp}/m.png"),
        ("--out in a folder that cannot be made", "{text} --out /proc/no-such-dir/m.onnx"),
        ("--out the checkpoint", "{tmp}/ckpt.onnx --out {tmp}/ckpt.onnx"),
        ("--out a user's file", "{text} --out {notes}.onnx"),
    ],
}


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory, projection_model_path: Path) -> dict[str, str]:
    root = tmp_path_factory.mktemp("cli-bad")
    photos, tmp = root / "photos", root / "scratch"
    for cls in ("10_of_hearts", "flag_de"):
        shutil.copytree(sample_folder() / cls, photos / cls)
    tmp.mkdir()
    (tmp / "adir.npz").mkdir()
    (tmp / "text.jpg").write_text("not an image")
    (tmp / "ckpt.onnx").write_text("not a checkpoint")
    text = tmp / "notes.txt"
    text.write_text("a user's notes")
    for suffix in (".npz", ".html", ".onnx", ".png"):
        (tmp / f"notes{suffix}").write_text("a user's file that happens to have an output's name")
    img = sorted((photos / "flag_de").iterdir())[0]
    return {"photos": str(photos), "img": str(img), "model": str(projection_model_path), "tmp": str(tmp),
            "text": str(text), "notes": str(tmp / "notes")}  # fmt: skip


MODEL_COMMANDS = ("embed", "compare", "neighbours", "evaluate", "map", "duplicates")


def _argv(command: str, template: str, places: dict[str, str]) -> list[str]:
    words = [w.format(**places) for w in template.split(" ") if w]
    if command in MODEL_COMMANDS and "--model" not in words:
        words += ["--model", places["model"]]
    if command in MODEL_COMMANDS and "--device" not in words:
        words += ["--device", "cpu"]
    return [command, *words]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


ALL_CASES = [(cmd, name, argv) for cmd, cases in CASES.items() for name, argv in cases]


@pytest.mark.parametrize(
    ("command", "name", "template"), ALL_CASES, ids=[f"{c}: {n}" for c, n, _ in ALL_CASES]
)
def test_bad_input_is_one_line_and_exit_2(
    command: str, name: str, template: str, places: dict[str, str], capfd: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(Path(places["photos"])) | _snapshot(Path(places["tmp"]))
    try:
        code = main(_argv(command, template, places))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capfd.readouterr()
    lines = err.strip("\n").splitlines()
    assert code == 2, (code, err)
    assert out == ""
    # One error line, last (progress lines such as "model: ..." may come before it).
    assert [line for line in lines if "error" in line.lower()] == lines[-1:], err
    assert lines[-1].startswith("lookalike: error: "), err
    assert "Traceback" not in err
    assert "unexpected" not in err  # the catch-all for bugs must not be what answers a user's mistake
    assert before == _snapshot(Path(places["photos"])) | _snapshot(Path(places["tmp"]))


def test_every_subcommand_is_in_the_table() -> None:
    """A subcommand added later (on main or by a plug-in) fails here until it has bad-input cases."""
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) == set(CASES)


HOSTILE_NAMES = [b"bad\xffbyte.png", b"new\nline.png", b"-dash.png", b"tab\there.png", b"esc\x1b[31m.png"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", ["embed", "neighbours", "evaluate", "duplicates"])
def test_hostile_names_print_as_one_escaped_line_each_under_a_utf8_locale(
    command: str, tmp_path: Path, projection_model_path: Path
) -> None:
    """Invalid UTF-8 bytes used to raise UnicodeEncodeError after all the work; newlines split lines."""
    photos = tmp_path / "photos"
    for cls in ("10_of_hearts", "flag_de"):
        shutil.copytree(sample_folder() / cls, photos / cls)
    src = sorted((photos / "flag_de").iterdir())[0].read_bytes()
    for raw in HOSTILE_NAMES:
        with open(os.path.join(os.fsencode(photos / "flag_de"), raw), "wb") as fh:
            fh.write(src)
    with open(os.path.join(os.fsencode(photos / "flag_de"), b"broken\xfe.png"), "wb") as fh:
        fh.write(b"not a png")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONIO", "LC_"))}
    env.update(
        LC_ALL="C.UTF-8", LANG="C.UTF-8", PYTHONPATH=str(REPO), LOOKALIKE_CACHE_DIR=str(tmp_path / "c")
    )
    argv = [command, str(photos), "--model", str(projection_model_path), "--device", "cpu"]
    if command == "neighbours":
        argv += ["-k", "2"]
    proc = subprocess.run(
        [sys.executable, "-m", "lookalike.cli.main", *argv],
        capture_output=True, env=env, cwd=REPO, timeout=100, check=False,
    )  # fmt: skip
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "\x1b" not in out + err
    if command == "neighbours":
        n_images = sum(1 for _ in photos.rglob("*.png")) + sum(1 for _ in photos.rglob("*.jpg")) - 1
        assert len(out.splitlines()) == n_images * 3  # each query line + 2 neighbour lines, no extras
        assert "bad\\udcffbyte.png" in out
        assert "new\\nline.png" in out
    if command == "duplicates":  # the copies form one group; each member on one escaped line
        assert "new\\nline.png" in out
        assert all(line.startswith(("group ", "  ")) for line in out.splitlines()), out
    skipped = [line for line in err.splitlines() if "broken" in line]
    assert len(skipped) == 1, err
