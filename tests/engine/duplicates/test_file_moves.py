"""Moves of duplicates on real files: destinations checked first, no partial copies, undo kept."""

from __future__ import annotations

import os
import resource
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from lookalike.engine.duplicates.file_moves import MoveError, MoveRecord, undo_move
from lookalike.engine.duplicates.folder_moves import FolderTarget
from lookalike.engine.duplicates.group_moves import move_groups
from lookalike.engine.duplicates.keep_rules import file_facts
from lookalike.engine.duplicates.listing import DuplicateGroup


def _files(root: Path, names: dict[str, bytes]) -> Path:
    for rel, data in names.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _group(root: Path, keep: str, *others: str) -> DuplicateGroup:
    """A group as the listing makes it (real facts read from disk), keeping `keep`."""
    files = tuple(file_facts(root, rel) for rel in (keep, *others))
    return DuplicateGroup(tuple(range(len(files))), files, 0)


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file (also hidden temp files) under a folder with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_move_to_folder_never_overwrites_and_undo_never_replaces(tmp_path: Path) -> None:
    root = _files(tmp_path / "photos", {"a.jpg": b"keep", "cls/a.jpg": b"mine"})
    dest = _files(tmp_path / "dest", {"cls/a.jpg": b"already there"})
    outcome = move_groups(root, [_group(root, "a.jpg", "cls/a.jpg")], FolderTarget(dest, root))
    assert _tree(dest) == {"cls/a.jpg": b"already there", "cls/a (1).jpg": b"mine"}
    (root / "cls/a.jpg").write_bytes(b"new file in its place")
    undo = undo_move(outcome.record)
    assert undo.restored == []
    assert "left as is" in undo.summary()
    assert undo.remaining == outcome.record  # nothing forgotten: Undo can be tried again
    (root / "cls/a.jpg").unlink()
    assert undo_move(outcome.record).restored == [root / "cls/a.jpg"]
    assert (root / "cls/a.jpg").read_bytes() == b"mine"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("destination is a file", "is a file, not a folder"),
        ("a file where a sub-folder goes", "is a file where a folder is needed"),
        ("destination is the folder's parent", "holds the open folder"),
        ("destination inside the folder", "inside the open folder"),
    ],
)
def test_a_bad_destination_is_refused_before_anything_moves(tmp_path: Path, case: str, message: str) -> None:
    # photos/photos/x.jpg: moved "to the parent" with its layout kept it would land in photos/x.jpg.
    root = _files(tmp_path / "photos", {"a.jpg": b"A", "b.jpg": b"B", "photos/x.jpg": b"A"})
    dest = {
        "destination is a file": _files(tmp_path, {"dest.jpg": b"user file"}) / "dest.jpg",
        "a file where a sub-folder goes": _files(tmp_path / "dest", {"photos": b"user file"}),
        "destination is the folder's parent": tmp_path,
        "destination inside the folder": root / "aside",
    }[case]
    before = _tree(tmp_path)
    with pytest.raises(MoveError, match=message):
        move_groups(root, [_group(root, "a.jpg", "b.jpg", "photos/x.jpg")], FolderTarget(dest, root))
    assert _tree(tmp_path) == before


@pytest.fixture
def other_device(tmp_path: Path) -> Iterator[Path]:
    """A folder on another file system than tmp_path (/dev/shm, a tmpfs on Linux)."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs a second file system")
    folder = shm / f"lookalike-test-{os.getpid()}-{tmp_path.name}"
    folder.mkdir()
    yield folder
    for p in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        p.rmdir() if p.is_dir() and not p.is_symlink() else p.unlink()
    folder.rmdir()


def test_a_failed_cross_device_move_leaves_no_copy(tmp_path: Path, other_device: Path) -> None:
    big = os.urandom(2 << 20)
    root = _files(other_device / "photos", {"a.jpg": b"keep", "b.jpg": big})
    dest = tmp_path / "dest"
    old = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, old[1]))  # a write past 1 MiB fails: EFBIG
    try:
        outcome = move_groups(root, [_group(root, "a.jpg", "b.jpg")], FolderTarget(dest, root))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old)
        signal.signal(signal.SIGXFSZ, handler)
    assert outcome.record.moved == ()
    assert outcome.stopped is not None
    assert "b.jpg" in outcome.stopped
    assert (root / "b.jpg").read_bytes() == big
    assert not dest.exists() or _tree(dest) == {}  # no full, truncated or hidden temp copy


def test_a_cross_device_move_and_its_undo(tmp_path: Path, other_device: Path) -> None:
    root = _files(other_device / "photos", {"a.jpg": b"keep", "cls/b.jpg": b"B"})
    dest = tmp_path / "dest"
    outcome = move_groups(root, [_group(root, "a.jpg", "cls/b.jpg")], FolderTarget(dest, root))
    assert _tree(dest) == {"cls/b.jpg": b"B"}
    assert not (root / "cls/b.jpg").exists()
    assert undo_move(outcome.record).restored == [root / "cls/b.jpg"]
    assert _tree(root) == {"a.jpg": b"keep", "cls/b.jpg": b"B"}
    assert not dest.exists()  # the folders the move made are gone again


def test_undo_keeps_its_record_when_a_restore_fails(tmp_path: Path) -> None:
    root = _files(tmp_path / "photos", {"a.jpg": b"A", "cls/b.jpg": b"B", "c.jpg": b"C"})
    dest = tmp_path / "dest"
    outcome = move_groups(root, [_group(root, "a.jpg", "cls/b.jpg", "c.jpg")], FolderTarget(dest, root))
    assert len(outcome.record.moved) == 2
    (root / "cls").rmdir()
    (root / "cls").write_bytes(b"a file where the folder was")  # restoring cls/b.jpg raises OSError
    undo = undo_move(outcome.record)
    assert undo.restored == [root / "c.jpg"]
    assert undo.summary().startswith("Restored 1 of 2 image(s): b.jpg: could not be put back")
    assert undo.remaining is not None
    assert [m.original for m in undo.remaining.moved] == [root / "cls/b.jpg"]
    (root / "cls").unlink()
    assert undo_move(undo.remaining).restored == [root / "cls/b.jpg"]
    assert _tree(root) == {"a.jpg": b"A", "cls/b.jpg": b"B", "c.jpg": b"C"}


def test_a_relative_link_moved_elsewhere_still_resolves_and_undoes(tmp_path: Path) -> None:
    root = _files(tmp_path / "photos", {"a.jpg": b"A", "2019/b.jpg": b"B"})
    os.symlink("2019/b.jpg", root / "fav.jpg")
    dest = tmp_path / "dest"
    # The duplicates proposal never moves a link (see test_symlink_groups); the mover still must
    # handle one correctly when given it.
    target = FolderTarget(dest, root)
    moved = target(root / "fav.jpg")
    assert (dest / "fav.jpg").read_bytes() == b"B"  # resolves from its new place
    record = MoveRecord("folder", (moved,), str(dest), tuple(target.created))
    assert undo_move(record).restored == [root / "fav.jpg"]
    assert os.readlink(root / "fav.jpg") == "2019/b.jpg"  # the link's own text is back


def test_files_changed_after_the_listing_stay_and_are_reported(tmp_path: Path) -> None:
    root = _files(tmp_path / "photos", {"a.jpg": b"A1", "b.jpg": b"A2", "c.jpg": b"C1", "d.jpg": b"C2"})
    groups = [_group(root, "a.jpg", "b.jpg"), _group(root, "c.jpg", "d.jpg")]
    st = os.stat(root / "b.jpg")
    (root / "b.jpg").write_bytes(b"XX")  # another picture now, same size, mtime put back
    os.utime(root / "b.jpg", ns=(st.st_atime_ns, st.st_mtime_ns))
    (root / "c.jpg").unlink()  # the group's kept image deleted outside the app
    outcome = move_groups(root, groups, FolderTarget(tmp_path / "dest", root))
    assert outcome.record.moved == ()
    assert dict(outcome.skipped) == {
        "b.jpg": "changed since it was listed",
        "d.jpg": "its group's kept image c.jpg: no longer there",
    }
    assert _tree(root) == {"a.jpg": b"A1", "b.jpg": b"XX", "d.jpg": b"C2"}
    assert "left 2 in place" in outcome.summary()


def test_a_destination_below_a_file_and_a_cancelled_move(tmp_path: Path) -> None:
    root = _files(tmp_path / "photos", {"a.jpg": b"A", "b.jpg": b"B", "c.jpg": b"C"})
    below_a_file = _files(tmp_path, {"note.txt": b"user file"}) / "note.txt" / "aside"
    with pytest.raises(MoveError, match=r"note\.txt is a file, not a folder"):
        move_groups(root, [_group(root, "a.jpg", "b.jpg")], FolderTarget(below_a_file, root))
    calls = iter([False, True])
    outcome = move_groups(
        root,
        [_group(root, "a.jpg", "b.jpg", "c.jpg")],
        FolderTarget(tmp_path / "dest", root),
        None,
        lambda: next(calls),
    )
    assert [m.original.name for m in outcome.record.moved] == ["b.jpg"]
    assert outcome.cancelled
    assert outcome.not_tried == 1
    assert (root / "c.jpg").exists()
