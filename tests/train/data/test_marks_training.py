"""Pair marks as training data, the marked-pair sampler, and `train --marks --progress-json`."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import torch
from lookalike.engine.model.bundled import sample_folder
from lookalike.engine.teaching.pair_marks import PairMarks
from lookalike.train.data.marked_data import marked_negatives, with_marks
from lookalike.train.data.marked_sampler import MarkedPairSampler
from lookalike.train.data.preload import list_dataset
from lookalike.train.loop.progress_json import JsonProgress

CLASSES = 6
PER_CLASS = 4


@pytest.fixture
def unsorted_folder(tmp_path: Path) -> tuple[Path, Path]:
    """Real sample images all at the top level (no class folders) and marks that group them."""
    folder = tmp_path / "unsorted"
    folder.mkdir()
    names = sorted(p.name for p in sample_folder().iterdir() if p.is_dir())[:CLASSES]
    marks = PairMarks(folder)
    for c, name in enumerate(names):
        files = sorted((sample_folder() / name).iterdir())[:PER_CLASS]
        for i, src in enumerate(files):
            shutil.copy2(src, folder / f"{c}_{i}.jpg")
        for i in range(PER_CLASS - 1):
            marks.mark(f"{c}_{i}.jpg", f"{c}_{i + 1}.jpg", is_match=True)
        marks.mark(f"{c}_0.jpg", f"{(c + 1) % CLASSES}_0.jpg", is_match=False)
    out = tmp_path / "marks.json"
    marks.export(out)
    return folder, out


def test_match_marks_make_classes_of_unsorted_images(unsorted_folder: tuple[Path, Path]) -> None:
    folder, marks = unsorted_folder
    plain = list_dataset([str(folder)])
    assert plain.paths == ()
    listing = with_marks(plain, [str(folder)], str(marks), lambda m: None)
    groups: dict[str, set[str]] = {}
    for path, label in zip(listing.paths, listing.labels, strict=True):
        groups.setdefault(label, set()).add(Path(path).name.split("_")[0])
    assert len(groups) == CLASSES
    assert all(len(members) == 1 for members in groups.values())  # one true class per marked class
    negatives = marked_negatives(str(marks), [str(folder)], listing.paths, listing.labels)
    assert len(negatives) == CLASSES


def test_mark_against_the_class_folders_is_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "classes"
    for name in ("flag_de", "flag_it"):
        shutil.copytree(sample_folder() / name, folder / name)
    loose = folder / "loose.jpg"
    shutil.copy2(sorted((sample_folder() / "flag_jm").iterdir())[0], loose)
    marks = PairMarks(folder)
    a, b = sorted((folder / "flag_de").iterdir())[0], sorted((folder / "flag_it").iterdir())[0]
    marks.mark(f"flag_de/{a.name}", f"flag_it/{b.name}", is_match=True)  # contradicts the folders
    marks.mark("loose.jpg", f"flag_it/{b.name}", is_match=True)
    out = tmp_path / "m.csv"
    marks.export(out)
    said: list[str] = []
    listing = with_marks(list_dataset([str(folder)]), [str(folder)], str(out), said.append)
    assert dict(zip(listing.paths, listing.labels, strict=True))[str(loose)] == "flag_it"
    assert sorted(set(listing.labels)) == ["flag_de", "flag_it"]
    assert any("contradict" in line for line in said)
    assert [s.path for s in list_dataset([str(folder)]).skipped] == [str(loose)]
    assert listing.skipped == ()  # it joined a class: the log must not call it skipped


def test_marked_pairs_share_batches() -> None:
    labels = [c for c in range(8) for _ in range(5)]
    pair = (3, 27)  # class 0 and class 5
    sampler = MarkedPairSampler(labels, classes=4, images=3, pairs=[pair], share=0.5)
    batches: list[torch.Tensor] = []
    for seed in range(20):
        batches += list(sampler.epoch(torch.Generator().manual_seed(seed)))
    together = [b for b in batches if b[0] == 3 and b[3] == 27]
    assert all(len(b) == 12 for b in batches)
    assert 0.3 * len(batches) <= len(together) <= 0.7 * len(batches)
    for b in together:
        assert [labels[i] for i in b[:3].tolist()] == [0, 0, 0]
        assert [labels[i] for i in b[3:6].tolist()] == [5, 5, 5]


def test_json_progress_follows_the_run_folder(tmp_path: Path) -> None:
    stream = io.StringIO()
    progress = JsonProgress(tmp_path, stream)
    progress("loading")
    (tmp_path / "split.json").write_text(json.dumps({"train": ["a", "b"], "val": ["c"], "seed": 0}))
    (tmp_path / "metrics.json").write_text(json.dumps([{"epoch": 1, "precision_at_1": 0.5}]))
    progress("epoch 1")
    progress.finish(tmp_path / "model.onnx", 1, 12.5)
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["event"] for e in events] == ["log", "split", "epoch", "log", "done"]
    assert events[2]["precision_at_1"] == 0.5
    assert events[-1]["model"].endswith("model.onnx")


def test_train_command_with_marks_and_json_progress(
    unsorted_folder: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lookalike.cli.main import main

    folder, marks = unsorted_folder
    run = tmp_path / "run"
    args = ["train", str(folder), "--out", str(run), "--marks", str(marks), "--progress-json"]
    args += ["--epochs", "1", "--val-classes", "2", "--image-size", "32", "--width", "8", "--dim", "16"]
    args += ["--batch-classes", "4", "--batch-images", "2", "--device", "cpu", "--threads", "1"]
    assert main(args) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    kinds = [e["event"] for e in events]
    assert kinds.count("split") == 1
    assert kinds.count("epoch") == 1
    assert kinds[-1] == "done"
    split = next(e for e in events if e["event"] == "split")
    assert len(split["val"]) == 2
    assert all(v.startswith("marked-") for v in split["val"])
    assert Path(events[-1]["model"]).is_file()


def test_app_and_training_name_marked_classes_alike(unsorted_folder: tuple[Path, Path]) -> None:
    """The app scores held-out marked-N classes with the labels training gave them."""
    from lookalike.engine.folder.embedding import embed_folder
    from lookalike.engine.model.bundled import default_model_path
    from lookalike.engine.model.embedder import Embedder
    from lookalike.engine.teaching.pair_marks import read_marks
    from lookalike.engine.teaching.teach_run import labels_with_marks

    folder, marks = unsorted_folder
    listing = with_marks(list_dataset([str(folder)]), [str(folder)], str(marks), lambda m: None)
    trained = {Path(p).name: lab for p, lab in zip(listing.paths, listing.labels, strict=True)}
    emb = embed_folder(folder, Embedder(default_model_path(), device="cpu"))
    app = dict(zip(emb.paths, labels_with_marks(emb, read_marks(marks)), strict=True))
    assert app == trained
    assert len(set(app.values())) == CLASSES
