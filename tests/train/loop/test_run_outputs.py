"""A training run never replaces a user's file in RUN, and reads only the data its checkpoint names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lookalike.engine.io.output_paths import OutputPathError
from lookalike.train.loop.run_files import check_run_out, remove_stale_parts, write_run_text
from lookalike.train.loop.trainer import RunResult, run

from tests.real_data import CARDS, card_classes, copy_card_classes
from tests.train.conftest import tiny_config, train_cli

TINY_FLAGS = [
    "--val-classes", "3", "--image-size", "32", "--backbone", "compact", "--width", "8", "--dim", "16",
    "--batch-classes", "4", "--batch-images", "4", "--device", "cpu", "--threads", "1",
]  # fmt: skip


def _main(argv: list[str]) -> int:
    return train_cli(argv)


def _user_run_folder(run_dir: Path) -> dict[Path, bytes]:
    run_dir.mkdir()
    files = {
        run_dir / "config.json": b'{"my": "own settings"}\n',
        run_dir / "model.onnx": b"my own model, not Lookalike's",
        run_dir / "best.pt": b"my own weights",
    }
    for path, data in files.items():
        path.write_bytes(data)
    return files


def test_train_refuses_to_replace_the_users_files_in_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _user_run_folder(tmp_path / "run")
    code = _main(["train", str(CARDS), "--out", str(tmp_path / "run"), "--dry-run", *TINY_FLAGS])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert "--force" in err[0]
    assert "is not an earlier Lookalike output" in err[0]
    assert {p: p.read_bytes() for p in files} == files
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(p.name for p in files)


def test_one_user_file_under_any_run_name_is_refused(tmp_path: Path) -> None:
    for name in ("split.json", "metrics.json", "last.pt", "trunk.onnx", "model.int8.onnx"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / name).write_text("mine")
        with pytest.raises(OutputPathError, match=name):
            check_run_out(folder, [CARDS])


def test_an_earlier_runs_files_are_ours(tiny_run: RunResult) -> None:
    names = {p.name for p in tiny_run.out.iterdir()}
    assert {"config.json", "split.json", "metrics.json", "last.pt", "best.pt", "model.onnx"} <= names
    assert check_run_out(tiny_run.out, [CARDS]) == tiny_run.out


def test_force_replaces_the_users_files(tmp_path: Path) -> None:
    files = _user_run_folder(tmp_path / "run")
    code = _main(["train", str(CARDS), "--out", str(tmp_path / "run"), "--dry-run", "--force", *TINY_FLAGS])
    assert code == 0
    assert (tmp_path / "run" / "config.json").read_bytes() != files[tmp_path / "run" / "config.json"]


def test_resume_with_other_data_is_refused_in_one_line(
    tiny_run: RunResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = copy_card_classes(tmp_path / "other", card_classes()[:5])
    out = tmp_path / "resumed"
    argv = ["train", str(other), "--out", str(out), "--resume", str(tiny_run.out / "last.pt")]
    code = _main([*argv, "--dry-run", "--epochs", "3"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert "--resume" in err[0]
    assert str(CARDS) in err[0]
    assert not out.exists()


def test_resume_checks_the_output_against_the_data_really_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = copy_card_classes(tmp_path / "data", card_classes()[:8])
    first = run(
        tiny_config(tmp_path / "first", data=(str(data),), epochs=1, export=False), log=lambda m: None
    )
    ckpt = str(first.out / "last.pt")
    code = _main(["train", str(data), "--out", str(data / "run"), "--resume", ckpt])
    assert code == 2
    assert "inside the folder being read" in capsys.readouterr().err
    assert not (data / "run").exists()


def test_export_reads_the_checkpoints_own_data_wherever_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    copy_card_classes(home / "data", card_classes()[:8])
    copy_card_classes(elsewhere / "data", card_classes()[:2])  # same relative name, other images
    monkeypatch.chdir(home)
    run(tiny_config(Path("run"), data=("data",), epochs=1, export=False), log=lambda m: None)
    monkeypatch.chdir(elsewhere)
    ckpt = home / "run" / "best.pt"
    assert _main(["export", str(ckpt), "--out", str(tmp_path / "m.onnx")]) == 0
    capsys.readouterr()
    victim = sorted((home / "data").rglob("*.jpg"))[0]
    shutil.copyfile(sorted((home / "data").rglob("*.jpg"))[-1], victim)
    assert _main(["export", str(ckpt), "--out", str(tmp_path / "m2.onnx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "no longer the ones" in err[-1]
    assert not (tmp_path / "m2.onnx").exists()


def test_a_killed_runs_temporary_files_are_removed_and_nothing_else(tmp_path: Path) -> None:
    for name in (".last.pt.x1y2.part", "last.pt.tmp", ".config.json.abc.part"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "notes.part").write_text("mine")
    write_run_text(tmp_path / "metrics.json", "[]\n")
    removed = remove_stale_parts(tmp_path)
    assert sorted(p.name for p in removed) == [".config.json.abc.part", ".last.pt.x1y2.part", "last.pt.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "notes.part"]


def test_a_failed_parity_check_leaves_no_temporary_onnx(
    tiny_run: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np
    from lookalike.engine.model.embedder import Embedder
    from lookalike.train.export import onnx_export
    from lookalike.train.loop.checkpoint import load_checkpoint
    from lookalike.train.models.networks import build_model

    cfg = tiny_config(tmp_path)
    model = build_model(cfg, pretrained=False)
    model.load_state_dict(load_checkpoint(tiny_run.out / "best.pt")["model"])
    manifest = Embedder(tiny_run.out / "model.onnx").manifest

    def broken(*args: object) -> float:
        raise RuntimeError("ONNX Runtime could not load the model")

    monkeypatch.setattr(onnx_export, "parity", broken)
    with pytest.raises(RuntimeError):
        onnx_export.export_onnx(model, manifest, tmp_path / "m.onnx", np.zeros((2, 32, 32, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []
